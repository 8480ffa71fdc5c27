"""The reports: one module per notebook, named after it.

``notebooks/X.ipynb`` ↔ ``salesops/reports/X.py`` ↔ ``tests/reports/test_X.py``. Each
module holds the report's class, whose methods are the notebook's sections; what every
report shares for display (tiles, figures, the JSON summary) is in
:mod:`salesops.reports.display`. The domain logic they call (metrics, pipeline,
forecasting, performance, compensation, planning) stays in the flat core modules.
"""
