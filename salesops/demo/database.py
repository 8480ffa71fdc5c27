"""Writing the demo CRM: the configuration, the tables' schema, and generation chunk by chunk
into DuckDB."""

from __future__ import annotations

import os
from dataclasses import KW_ONLY, asdict, dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from salesops.data.stages import Stages
from salesops.demo import deals, organisation, records
from salesops.demo.organisation import Organisation, email
from salesops.demo.schema import SCHEMA, columns


@dataclass(frozen=True)
class DemoConfig:
    """What to generate.

    Parameters
    ----------
    reps
        Selling seats; each region also gets a manager, and seats whose rep leaves
        are filled again, so the reps table is somewhat longer.
    opportunities
        About how many deals to create over the whole history.
    years
        Years of history before ``as_of``.
    as_of
        The last day of the data; fixed so that outputs are reproducible.
    seed
        Random seed; the same config always gives the same database.
    chunk_seats
        Seats generated and written per chunk; bounds peak memory.
    """

    reps: int = 35
    opportunities: int = 20_000
    years: int = 4
    as_of: str = "2026-10-31"
    _: KW_ONLY
    seed: int = 42
    chunk_seats: int = 40


def generate(path: str | Path, config: DemoConfig = DemoConfig()) -> dict[str, int]:
    """Write the demo CRM to a DuckDB file at ``path`` and return row counts per table.

    The file is written under a temporary name and renamed when complete, so an
    interrupted run never leaves a half-written database behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    stages = Stages.read()
    org = Organisation(config)
    counts = dict.fromkeys(SCHEMA, 0)
    try:
        with duckdb.connect(str(tmp)) as con:
            for table, layout in SCHEMA.items():
                con.execute(f"CREATE TABLE {table} ({layout})")
            for chunk in org.chunks():
                frames = Chunk(org, chunk, stages).tables()
                for table, frame in frames.items():
                    con.register("_frame", frame)
                    con.execute(f"INSERT INTO {table} SELECT * FROM _frame")
                    con.unregister("_frame")
                    counts[table] += len(frame)
            meta = {**{k: str(v) for k, v in asdict(config).items()}, "generator": "salesops.demo"}
            con.execute("CREATE TABLE salesops_meta (key VARCHAR, value VARCHAR)")
            con.executemany("INSERT INTO salesops_meta VALUES (?, ?)", list(meta.items()))
            con.execute("CHECKPOINT")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return counts


class Chunk:
    """Everything generated for one chunk of seats."""

    def __init__(self, org: Organisation, seats: range, stages: Stages) -> None:
        self.org, self.seats, self.stages = org, seats, stages
        self.rng = np.random.default_rng([org.config.seed, 2, seats.start])

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of this chunk of seats, in the order they are generated."""
        people = organisation.people(self)
        opps, history = deals.deals(self, people)
        leads = records.leads(self, people, opps)
        activities = records.activities(self, people, opps)
        quotas = records.quotas(self, people)
        submissions = records.submissions(self, people, opps)
        reps = people.assign(email=email(people["name"]))[list(columns("reps"))]
        if self.seats.start == 0:
            reps = pd.concat([self.org.managers(), reps], ignore_index=True)
        return {
            "reps": reps,
            "opportunities": opps[list(columns("opportunities"))],
            "opportunity_history": history,
            "quotas": quotas,
            "leads": leads,
            "activities": activities,
            "forecast_submissions": submissions,
        }
