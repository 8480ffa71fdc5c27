"""A deterministic, synthetic but realistic CRM, written to DuckDB.

The organisation has regions, managers and reps (who join, ramp up and leave),
accounts, deals with a full stage history (pushed close dates, stalls, amount
changes, regular touches, clean-up of stalled deals), leads with a long-tailed
response time, logged activities, quotas set from what each seat can book (with
ramp), and monthly forecast submissions from reps who sandbag or over-forecast. Deal
creation grows 15% a year and closes bunch at quarter ends, most of all in Q4.
``docs/demo.md`` lists the calibration and its measured figures.

Generation runs seat by seat in chunks and appends each chunk to the database, so
the size of the database never has to fit in memory. The same arguments always
give the same database.
"""

from salesops.demo.database import SCHEMA, DemoConfig, generate

__all__ = ["SCHEMA", "DemoConfig", "generate"]
