"""The analytics layer: pure functions of the tables (metrics, forecasts, pay)."""
