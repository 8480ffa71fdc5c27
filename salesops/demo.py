"""A deterministic, synthetic but realistic CRM, written to DuckDB.

The organisation has regions, managers and reps (who join, ramp up and leave),
accounts, deals with a full stage history (pushed close dates, stalls, amount
changes), leads with a long-tailed response time, logged activities, quotas that
rise every year, and monthly forecast submissions from reps who sandbag or
over-forecast. Deal creation grows over time and closes bunch at quarter ends, most
of all in Q4.

Generation runs seat by seat in chunks and appends each chunk to the database, so
the size of the database never has to fit in memory. The same arguments always
give the same database.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from salesops.stages import Stages

REGIONS = ("NA-East", "NA-West", "EMEA", "APAC", "LATAM")
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
PRODUCTS = ("Core", "Analytics", "Integrations", "Services")
LEAD_SOURCES = ("Inbound", "Outbound", "Partner", "Event", "Referral")
ACTIVITY_KINDS = ("call", "email", "meeting", "demo", "admin", "internal", "training")
SELLING = 4  # the first four kinds are selling time
FIRST = (
    "Ava",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kara",
    "Liam",
    "Maya",
    "Nikhil",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Zane",
)
LAST = (
    "Adler",
    "Brooks",
    "Castro",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haas",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Moreau",
    "Novak",
    "Okafor",
    "Patel",
    "Rossi",
    "Silva",
    "Tanaka",
    "Urban",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zhou",
)

SCHEMA = {
    "reps": "rep_id VARCHAR, name VARCHAR, region VARCHAR, manager_id VARCHAR, role VARCHAR, "
    "email VARCHAR, hire_date DATE, end_date DATE",
    "opportunities": "opportunity_id VARCHAR, account_id VARCHAR, owner_id VARCHAR, "
    "region VARCHAR, segment VARCHAR, product VARCHAR, lead_source VARCHAR, created_date DATE, "
    "close_date DATE, stage VARCHAR, amount DOUBLE, forecast_category VARCHAR",
    "opportunity_history": "opportunity_id VARCHAR, changed_at TIMESTAMP, stage VARCHAR, "
    "amount DOUBLE, close_date DATE, forecast_category VARCHAR",
    "quotas": "rep_id VARCHAR, month DATE, amount DOUBLE",
    "leads": "lead_id VARCHAR, created_at TIMESTAMP, source VARCHAR, owner_id VARCHAR, "
    "first_response_at TIMESTAMP, converted_at TIMESTAMP, opportunity_id VARCHAR",
    "activities": "activity_id VARCHAR, rep_id VARCHAR, started_at TIMESTAMP, kind VARCHAR, "
    "minutes DOUBLE, opportunity_id VARCHAR",
    "forecast_submissions": "owner_id VARCHAR, period VARCHAR, submitted_at TIMESTAMP, "
    "category VARCHAR, amount DOUBLE",
}
DAY = np.timedelta64(1, "D")


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
    org = _Organisation(config)
    counts = dict.fromkeys(SCHEMA, 0)
    try:
        with duckdb.connect(str(tmp)) as con:
            for table, columns in SCHEMA.items():
                con.execute(f"CREATE TABLE {table} ({columns})")
            for chunk in org.chunks():
                frames = _Chunk(org, chunk, stages).tables()
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


class _Organisation:
    """Seats, the people who hold them, and per-person traits; cheap, made up front."""

    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.as_of = np.datetime64(config.as_of, "D")
        start = (
            pd.Timestamp(config.as_of) + pd.Timedelta(days=1) - pd.DateOffset(years=config.years)
        )
        self.start = np.datetime64(start.date(), "D")
        rng = np.random.default_rng([config.seed, 0])
        n = config.reps
        self.seat_region = np.array([REGIONS[i % len(REGIONS)] for i in range(n)])
        self.seat_segment = rng.choice(len(SEGMENTS), n, p=[0.45, 0.35, 0.2])
        # Base deal creation per ramped rep and day, chosen so that the total lands near the target.
        span = (self.as_of - self.start) / DAY
        growth = (1.15**config.years - 1) / (config.years * np.log(1.15))
        self.rate = config.opportunities / (n * span * growth * 0.9)

    def chunks(self) -> list[range]:
        step = max(1, self.config.chunk_seats)
        return [range(i, min(i + step, self.config.reps)) for i in range(0, self.config.reps, step)]

    def managers(self) -> pd.DataFrame:
        rng = np.random.default_rng([self.config.seed, 1])
        hire = self.start - rng.integers(400, 2500, len(REGIONS)) * DAY
        names = pd.Series([_name(600 + i, self.config.seed) for i in range(len(REGIONS))])
        return pd.DataFrame(
            {
                "rep_id": [f"M{i + 1:04d}" for i in range(len(REGIONS))],
                "name": names,
                "region": list(REGIONS),
                "manager_id": None,
                "role": "manager",
                "email": _email(names),
                "hire_date": hire,
                "end_date": pd.NaT,
            }
        )


class _Chunk:
    """Everything generated for one chunk of seats."""

    def __init__(self, org: _Organisation, seats: range, stages: Stages) -> None:
        self.org, self.seats, self.stages = org, seats, stages
        self.rng = np.random.default_rng([org.config.seed, 2, seats.start])

    def tables(self) -> dict[str, pd.DataFrame]:
        people = self._people()
        opps, history = self._deals(people)
        leads = self._leads(people, opps)
        activities = self._activities(people, opps)
        quotas = self._quotas(people)
        submissions = self._submissions(people, opps)
        reps = people.assign(email=_email(people["name"]))[list(_cols("reps"))]
        if self.seats.start == 0:
            reps = pd.concat([self.org.managers(), reps], ignore_index=True)
        return {
            "reps": reps,
            "opportunities": opps[list(_cols("opportunities"))],
            "opportunity_history": history,
            "quotas": quotas,
            "leads": leads,
            "activities": activities,
            "forecast_submissions": submissions,
        }

    # -- people -----------------------------------------------------------------------
    def _people(self) -> pd.DataFrame:
        org, rng = self.org, self.rng
        rows = []
        for seat in self.seats:
            opened = org.start - rng.integers(30, 1500) * DAY
            if rng.random() < 0.25:  # the team grows: some seats open during the history
                opened = org.start + rng.integers(0, int((org.as_of - org.start) / DAY * 0.7)) * DAY
            hire = opened
            while hire <= org.as_of:
                tenure = int(rng.exponential(5.5 * 365)) + 120
                end = hire + tenure * DAY
                rows.append((seat, hire, end if end <= org.as_of else np.datetime64("NaT")))
                if end > org.as_of:
                    break
                hire = end + rng.integers(20, 90) * DAY
        people = pd.DataFrame(rows, columns=["seat", "hire_date", "end_date"])
        people = people[people["end_date"].isna() | (people["end_date"] >= org.start)]
        people = people.reset_index(drop=True)
        n = len(people)
        first_id = self.seats.start * 3 + 1  # ids stay ordered by chunk, so ranges prune scans
        people["rep_id"] = [f"R{first_id + i:05d}" for i in range(n)]
        people["name"] = [_name(first_id + i, self.org.config.seed) for i in range(n)]
        people["region"] = org.seat_region[people["seat"]]
        people["manager_id"] = [f"M{REGIONS.index(r) + 1:04d}" for r in people["region"]]
        people["role"] = "rep"
        people["segment"] = org.seat_segment[people["seat"]]
        people["win"] = rng.lognormal(0, 0.3, n)
        people["cycle"] = rng.lognormal(0, 0.25, n)
        people["size"] = rng.lognormal(0, 0.3, n)
        people["pushy"] = rng.gamma(2, 0.5, n)  # how often close dates get pushed
        people["response_min"] = rng.lognormal(np.log(90), 0.9, n)  # median lead response
        people["bias"] = rng.choice([0.75, 1.0, 1.3], n, p=[0.25, 0.5, 0.25])  # sandbag/over
        people["selling"] = rng.beta(6, 3, n)
        people["until"] = people["end_date"].fillna(pd.Timestamp(org.as_of)).to_numpy("M8[D]")
        return people

    # -- deals ------------------------------------------------------------------------
    def _deals(self, people: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        org, rng, stages = self.org, self.rng, self.stages
        # Creation: a Poisson count per person and month, growing ~15% a year, ramping over
        # the first four months of a tenure, busier before Q4.
        months = np.arange(org.start.astype("M8[M]"), org.as_of.astype("M8[M]") + 1)
        m0 = months.astype("M8[D]")
        m1 = (months + 1).astype("M8[D]")
        hire = people["hire_date"].to_numpy("M8[D]")[:, None]
        until = people["until"].to_numpy()[:, None]
        lo, hi = np.maximum(m0, hire), np.minimum(m1, until + DAY)
        days = np.clip((hi - lo) / DAY, 0, None)
        years_in = (m0 - org.start) / DAY / 365.25
        tenure_months = (lo - hire) / DAY / 30.4
        ramp = np.clip(0.25 + tenure_months / 4 * 0.75, 0.25, 1)
        season = 1 + 0.15 * np.isin((months.astype(int) % 12) + 1, [8, 9, 10])
        lam = org.rate * days * 1.15**years_in * ramp * season
        counts = rng.poisson(lam)
        person, month = np.nonzero(counts)
        reps = np.repeat(person, counts[person, month])
        start_d = np.repeat(lo[person, month], counts[person, month])
        span = np.repeat(days[person, month], counts[person, month]).astype(int)
        created = start_d + (rng.random(len(reps)) * span).astype(int) * DAY
        n = len(reps)
        p = people.iloc[reps]
        seg = np.where(rng.random(n) < 0.75, p["segment"].to_numpy(), rng.integers(0, 3, n))
        region = p["region"].to_numpy()
        region_size = np.array([1.0, 1.1, 0.95, 0.85, 0.7])[[REGIONS.index(r) for r in region]]
        amount0 = np.round(
            np.array([9_000, 38_000, 140_000])[seg]
            * p["size"].to_numpy()
            * region_size
            * rng.lognormal(0, 0.5, n),
            -2,
        )
        cycle = np.array([40, 85, 150])[seg] * p["cycle"].to_numpy()
        n_open = len(stages.open_names)
        # Outcome: won, lost at some open stage, or stalled (never closes).
        q4_close = np.isin(
            ((created + cycle.astype(int) * DAY).astype("M8[M]").astype(int) % 12) + 1, [10, 11, 12]
        )
        p_win = np.clip(0.24 * p["win"].to_numpy() * np.where(q4_close, 1.15, 1.0), 0.04, 0.75)
        u = rng.random(n)
        won = u < p_win
        stalled = ~won & (u > 0.95)
        lost_at = rng.choice(n_open, n, p=_decreasing(n_open))
        reached = np.where(won, n_open, lost_at + 1)  # open stages visited
        total = rng.lognormal(np.log(cycle), 0.45) * np.where(won, 1.0, 0.7)
        share = rng.dirichlet(np.ones(n_open), n)
        share = np.where(np.arange(n_open) < reached[:, None], share, 0)
        share /= share.sum(1, keepdims=True)
        close_t = created + np.maximum(total, 1).astype(int) * DAY
        # Won deals bunch up at quarter end.
        qend = (close_t.astype("M8[M]") + (2 - (close_t.astype("M8[M]").astype(int) % 3))).astype(
            "M8[D]"
        ) + np.timedelta64(31, "D")
        qend = qend.astype("M8[M]").astype("M8[D]") - DAY
        snap = won & ((qend - close_t) / DAY < 40) & (rng.random(n) < 0.45)
        close_t = np.where(snap, qend - rng.integers(0, 4, n) * DAY, close_t)
        close_t = np.maximum(close_t, created + DAY)
        # The first expected close date is optimistic and at a month end.
        expected = created + (cycle * rng.uniform(0.6, 1.1, n)).astype(int) * DAY
        expected = ((expected.astype("M8[M]") + 1).astype("M8[D]")) - DAY
        # Events: (deal, time, stage code or -1, amount or nan, close date or NaT).
        ev = [self._event(np.arange(n), created, 0, amount0, expected)]
        bounds = np.cumsum(share * (close_t - created)[:, None].astype(float), axis=1)
        for k in range(1, n_open):
            has = reached > k
            t = created[has] + bounds[has, k - 1].astype(int) * DAY
            ev.append(self._event(np.nonzero(has)[0], t, k, np.nan, None, slot=k))
        # Pushes: while the expected date passes before the deal closes, the rep moves it.
        exp = expected.copy()
        end_t = np.where(stalled, org.as_of + 400 * DAY, close_t)
        careless = rng.random(n) < 0.3 * p["pushy"].to_numpy()
        for _ in range(12):
            due = (exp < end_t) & (exp <= org.as_of) & ~(stalled & careless)
            if not due.any():
                break
            idx = np.nonzero(due)[0]
            # The rep notices when the old date arrives, before the deal closes.
            when = np.maximum(exp[idx] - rng.integers(0, 6, len(idx)) * DAY, created[idx])
            exp[idx] = exp[idx] + rng.integers(20, 75, len(idx)) * DAY
            exp[idx] = ((exp[idx].astype("M8[M]") + 1).astype("M8[D]")) - DAY
            ev.append(self._event(idx, when, -1, np.nan, exp[idx], slot=n_open + 1))
        # Pull-ins: a deal that is closing well before its date gets its date moved earlier.
        early = won & (close_t < exp - 20 * DAY) & (rng.random(n) < 0.6)
        pull_t = np.maximum(close_t - rng.integers(3, 20, n) * DAY, created)
        pulled_to = ((close_t.astype("M8[M]") + 1).astype("M8[D]")) - DAY
        ev.append(
            self._event(
                np.nonzero(early)[0], pull_t[early], -1, np.nan, pulled_to[early], slot=n_open + 1
            )
        )
        change = rng.random(n) < 0.25
        when = created + ((close_t - created) / DAY * rng.uniform(0.1, 0.9, n)).astype(int) * DAY
        new_amount = np.round(amount0 * rng.uniform(0.6, 1.4, n), -2)
        ev.append(
            self._event(
                np.nonzero(change)[0], when[change], -1, new_amount[change], None, slot=n_open
            )
        )
        # Most stalled deals are eventually cleaned up: closed as lost long after their date.
        cleanup = stalled & careless & (rng.random(n) < 0.8)
        close_t = np.where(cleanup, expected + rng.integers(90, 500, n) * DAY, close_t)
        won = won & ~cleanup
        closing = ~stalled | cleanup
        close_code = np.where(
            won, stages.names.index(stages.won), stages.names.index(stages.lost_names[0])
        )
        ev.append(
            self._event(
                np.nonzero(closing)[0],
                close_t[closing],
                close_code[closing],
                np.nan,
                close_t[closing],
                slot=n_open + 2,
            )
        )
        history = self._history(ev, created, n)
        last = history.groupby("deal", sort=False).tail(1).set_index("deal").sort_index()
        # Whoever holds the seat when the deal ends (or now) owns it: leavers' deals move on.
        seat = p["seat"].to_numpy()
        final = np.minimum(np.where(last["closed"], last["close_date"], org.as_of), org.as_of)
        owner = self._holder(people, seat, final.astype("M8[D]"), fallback=reps)
        opps = pd.DataFrame(
            {
                "deal": last.index,
                "person": owner[last.index],
                "account_id": [
                    f"A{s:05d}{a:03d}"
                    for s, a in zip(seat[last.index], rng.integers(0, 60, len(last)), strict=True)
                ],
                "region": region[last.index],
                "segment": np.array(SEGMENTS)[seg[last.index]],
                "product": rng.choice(PRODUCTS, len(last), p=[0.45, 0.25, 0.2, 0.1]),
                "lead_source": rng.choice(LEAD_SOURCES, len(last), p=[0.35, 0.3, 0.12, 0.1, 0.13]),
                "created_date": created[last.index],
                "close_date": last["close_date"].to_numpy(),
                "stage": last["stage"].to_numpy(),
                "amount": last["amount"].to_numpy(),
                "forecast_category": last["forecast_category"].to_numpy(),
            }
        )
        opps["owner_id"] = people["rep_id"].to_numpy()[opps["person"]]
        opps = opps.sort_values(["owner_id", "created_date", "deal"], kind="stable")
        base = _id_base(self.seats.start, self.org)
        opps["opportunity_id"] = [f"O{base + i:07d}" for i in range(len(opps))]
        ids = pd.Series(opps["opportunity_id"].to_numpy(), index=opps["deal"].to_numpy())
        history = history[history["deal"].isin(ids.index)]
        history = history.assign(opportunity_id=ids.loc[history["deal"]].to_numpy())
        history = history.sort_values(["opportunity_id", "changed_at"], kind="stable")
        hist_cols = [
            "opportunity_id",
            "changed_at",
            "stage",
            "amount",
            "close_date",
            "forecast_category",
        ]
        return opps.reset_index(drop=True), history[hist_cols].reset_index(drop=True)

    def _event(self, deal, when, stage, amount, close, slot: int = 0) -> pd.DataFrame:
        """Rows of one kind of change; ``slot`` orders same-day changes (hour 8 + slot)."""
        m = len(deal)
        when = np.asarray(when, dtype="M8[D]").astype("M8[s]")
        seconds = ((8 + slot) * 3600 + self.rng.integers(0, 3600, m)).astype("m8[s]")
        return pd.DataFrame(
            {
                "deal": deal,
                "changed_at": when + seconds,
                "code": np.broadcast_to(np.asarray(stage), (m,)),
                "amount": np.broadcast_to(np.asarray(amount, dtype=float), (m,)),
                "close_date": np.broadcast_to(
                    np.asarray("NaT" if close is None else close, dtype="M8[D]"), (m,)
                ),
            }
        )

    def _history(self, ev: list[pd.DataFrame], created: np.ndarray, n: int) -> pd.DataFrame:
        stages = self.stages
        h = pd.concat(ev, ignore_index=True)
        h = h[h["changed_at"] < np.datetime64(self.org.as_of + DAY, "s")]
        h = h.sort_values(["deal", "changed_at"], kind="stable").reset_index(drop=True)
        # Each deal's first row is its creation, which sets every field: a plain
        # forward fill never leaks one deal's values into the next.
        h["code"] = h["code"].where(h["code"] >= 0)
        h[["code", "amount", "close_date"]] = h[["code", "amount", "close_date"]].ffill()
        names = np.array(stages.names)
        cats = np.array([s.forecast_category for s in stages.stages], dtype=object)
        code = h["code"].to_numpy().astype(int)
        h["stage"] = names[code]
        h["forecast_category"] = cats[code]
        h["closed"] = np.isin(h["stage"], stages.closed_names)
        return h

    def _holder(self, people, seat, when, fallback) -> np.ndarray:
        """Index into ``people`` of who held ``seat`` on ``when`` (the creator if none)."""
        out = np.asarray(fallback).copy()
        for s, grp in people.groupby("seat"):
            mask = seat == s
            hires = grp["hire_date"].to_numpy("M8[D]")
            pos = np.searchsorted(hires, when[mask], side="right") - 1
            pos = np.clip(pos, 0, len(grp) - 1)
            holder = grp.index.to_numpy()[pos]
            active = when[mask] <= grp["until"].to_numpy()[pos]
            out[mask] = np.where(active, holder, out[mask])
        return out

    # -- leads, activities, quotas, forecasts ---------------------------------------------
    def _leads(self, people: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng
        inbound = opps[opps["lead_source"] != "Outbound"]
        created = inbound["created_date"].to_numpy("M8[D]").astype("M8[s]")
        lead_t = created - rng.integers(1, 20 * 86_400, len(inbound)).astype("m8[s]")
        conv = pd.DataFrame(
            {
                "person": inbound["person"].to_numpy(),
                "created_at": lead_t,
                "source": inbound["lead_source"].to_numpy(),
                "converted_at": created
                + rng.integers(9 * 3600, 17 * 3600, len(inbound)).astype("m8[s]"),
                "opportunity_id": inbound["opportunity_id"].to_numpy(),
            }
        )
        n_cold = int(len(conv) * 1.6)
        who = rng.integers(0, len(people), n_cold)
        hire = np.maximum(people["hire_date"].to_numpy("M8[D]")[who], self.org.start)
        span = ((people["until"].to_numpy()[who] - hire) / DAY).astype(int)
        cold_t = hire.astype("M8[s]") + (rng.random(n_cold) * span * 86_400).astype("m8[s]")
        cold = pd.DataFrame(
            {
                "person": who,
                "created_at": cold_t,
                "source": rng.choice(LEAD_SOURCES[:1] + LEAD_SOURCES[2:], n_cold),
                "converted_at": np.datetime64("NaT", "s"),
                "opportunity_id": None,
            }
        )
        leads = pd.concat([conv, cold], ignore_index=True)
        median = people["response_min"].to_numpy()[leads["person"]]
        delay = rng.lognormal(np.log(median), 1.3) * 60
        answered = (rng.random(len(leads)) > 0.07) | leads["converted_at"].notna().to_numpy()
        first = leads["created_at"].to_numpy() + delay.astype("m8[s]")
        conv_at = leads["converted_at"].to_numpy()
        first = np.where(leads["converted_at"].notna(), np.minimum(first, conv_at), first)
        leads["first_response_at"] = np.where(answered, first, np.datetime64("NaT"))
        cutoff = np.datetime64(self.org.as_of + DAY, "s")
        leads = leads[leads["created_at"] < cutoff].copy()
        late = leads["first_response_at"] >= cutoff
        leads.loc[late, "first_response_at"] = pd.NaT
        leads["owner_id"] = people["rep_id"].to_numpy()[leads["person"]]
        leads = leads.sort_values(["owner_id", "created_at"], kind="stable")
        base = _id_base(self.seats.start, self.org) * 3
        leads["lead_id"] = [f"L{base + i:08d}" for i in range(len(leads))]
        return leads[list(_cols("leads"))].reset_index(drop=True)

    def _activities(self, people: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
        rng, org = self.rng, self.org
        frames = []
        for i, person in people.iterrows():
            start = max(person["hire_date"], pd.Timestamp(org.start))
            days = pd.bdate_range(start, person["until"]).to_numpy("M8[D]")
            if len(days) == 0:
                continue
            n = rng.poisson(3.2, len(days))
            t = np.repeat(days, n).astype("M8[s]") + rng.integers(
                8 * 3600, 18 * 3600, n.sum()
            ).astype("m8[s]")
            sell = person["selling"]
            p = np.r_[
                np.array([0.35, 0.3, 0.2, 0.15]) * sell, np.array([0.5, 0.35, 0.15]) * (1 - sell)
            ]
            kind = rng.choice(len(ACTIVITY_KINDS), len(t), p=p / p.sum())
            base_min = np.array([15, 6, 45, 60, 30, 30, 60])[kind]
            own = opps.loc[opps["person"] == i, "opportunity_id"].to_numpy()
            link = (kind < SELLING) & (rng.random(len(t)) < 0.6) & (len(own) > 0)
            opp = np.where(
                link, own[rng.integers(0, max(len(own), 1), len(t))] if len(own) else None, None
            )
            frames.append(
                pd.DataFrame(
                    {
                        "rep_id": person["rep_id"],
                        "started_at": t,
                        "kind": np.array(ACTIVITY_KINDS)[kind],
                        "minutes": np.round(base_min * rng.lognormal(0, 0.4, len(t))),
                        "opportunity_id": opp,
                    }
                )
            )
        acts = pd.concat(frames, ignore_index=True).sort_values(
            ["rep_id", "started_at"], kind="stable"
        )
        base = _id_base(self.seats.start, org) * 60
        acts.insert(0, "activity_id", [f"X{base + i:09d}" for i in range(len(acts))])
        return acts.reset_index(drop=True)

    def _quotas(self, people: pd.DataFrame) -> pd.DataFrame:
        org = self.org
        size = np.array([9_000, 38_000, 140_000])[people["segment"].to_numpy()] * 1.3
        monthly = org.rate * 30.4 * 0.2 * size * people["size"].to_numpy()
        rows = []
        year_end = pd.Timestamp(org.as_of).to_period("Y").end_time.normalize()
        for i, person in people.iterrows():
            last = year_end if pd.isna(person["end_date"]) else person["end_date"]
            months = pd.date_range(
                max(person["hire_date"], pd.Timestamp(org.start)), last, freq="MS"
            )
            tenure = (months - person["hire_date"]).days / 30.4
            ramp = np.clip(0.25 + tenure / 4 * 0.75, 0.25, 1)
            growth = 1.12 ** (months.year - pd.Timestamp(org.start).year)
            amount = np.round(monthly[i] * ramp * growth, -2)
            rows.append(
                pd.DataFrame({"rep_id": person["rep_id"], "month": months, "amount": amount})
            )
        return pd.concat(rows, ignore_index=True)

    def _submissions(self, people: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng
        won = opps[opps["stage"] == self.stages.won]
        booked = won.groupby(["person", won["close_date"].to_numpy("M8[M]")])["amount"].sum()
        rows = []
        last_month = pd.Timestamp(self.org.as_of).to_period("M").start_time
        for i, person in people.iterrows():
            months = pd.date_range(
                max(person["hire_date"], pd.Timestamp(self.org.start)), person["until"], freq="MS"
            )
            months = months[(months > person["hire_date"]) & (months <= last_month)]
            actual = np.array(
                [booked.get((i, m.to_datetime64().astype("M8[M]")), 0.0) for m in months]
            )
            commit = np.round(actual * person["bias"] * rng.lognormal(0, 0.2, len(months)), -2)
            best = np.round(commit * rng.uniform(1.1, 1.45, len(months)), -2)
            when = (
                months
                + pd.Timedelta(days=2)
                + pd.to_timedelta(rng.integers(9, 17, len(months)), "h")
            )
            for category, amount in (("commit", commit), ("best_case", best)):
                rows.append(
                    pd.DataFrame(
                        {
                            "owner_id": person["rep_id"],
                            "period": months.strftime("%Y-%m"),
                            "submitted_at": when,
                            "category": category,
                            "amount": amount,
                        }
                    )
                )
        return pd.concat(rows, ignore_index=True).sort_values(
            ["owner_id", "submitted_at"], kind="stable"
        )


def _id_base(first_seat: int, org: _Organisation) -> int:
    """First id number for a chunk: chunks get disjoint, increasing id ranges."""
    per_seat = org.config.opportunities / max(org.config.reps, 1) * 2.5 + 200
    return int(first_seat * per_seat)


def _decreasing(n: int) -> np.ndarray:
    w = np.linspace(2.0, 0.6, n)
    return w / w.sum()


def _cols(table: str) -> tuple[str, ...]:
    return tuple(part.split()[0] for part in SCHEMA[table].split(", "))


def _email(names: pd.Series) -> pd.Series:
    """Work addresses made from names: ``Ava Tanaka 2`` is ``ava.tanaka.2@example.com``
    (``example.com`` is reserved for examples: nothing sent there reaches anyone)."""
    return names.str.lower().str.replace(" ", ".", regex=False) + "@example.com"


def _name(i: int, seed: int) -> str:
    """A unique (for the first 624 people), reproducible full name."""
    pairs = len(FIRST) * len(LAST)
    k = int(np.random.default_rng([seed, 3]).permutation(pairs)[i % pairs])
    suffix = f" {i // pairs + 1}" if i >= pairs else ""
    return f"{FIRST[k % len(FIRST)]} {LAST[k // len(FIRST)]}{suffix}"
