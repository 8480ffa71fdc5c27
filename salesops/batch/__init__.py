"""The batch layer: plans, jobs, the runner, rendering and publishing reports."""
