"""The demo's deals and their stage history: creation that grows and ramps, stage paths,
pushed close dates, amount changes and reassignments."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesops.demo.organisation import (
    DAY,
    LEAD_SOURCES,
    PRODUCTS,
    REGIONS,
    SEAT_MIX,
    SEGMENTS,
    TRAIT,
)
from salesops.demo.schema import id_base

if TYPE_CHECKING:
    from salesops.demo.database import Chunk


SIZES = np.array([9_000, 38_000, 140_000])  # a typical deal per segment
CYCLE_DAYS = np.array([40, 85, 150])  # a typical sales cycle per segment
REGION_SIZE = np.array([1.0, 1.1, 0.95, 0.85, 0.7])  # deal sizes by region, as REGIONS
PACE = np.array([2.0, 1.0, 0.6])  # deals created per segment, relative to the org's rate
SIZE_SIGMA = 0.3  # the spread of one deal's amount around its segment's size
OFF_SEGMENT = 0.05  # deals from a neighbouring segment (an SMB rep's mid-market deal)
BASE_WIN = 0.24  # the win probability of an average rep
Q4_WIN = 1.2  # deals closing in Q4 win more often
GROWTH = 1.15  # a year
Q4 = [10, 11, 12]


def calendar_month(when: np.ndarray) -> np.ndarray:
    """The month of the year, 1 to 12, of datetime64 values."""
    return when.astype("M8[M]").astype(int) % 12 + 1


def intensity(
    chunk: Chunk, people: pd.DataFrame, months: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected deals created per person (rows) and month (columns): a base rate per
    ramped rep-day (more in SMB, fewer in Enterprise), growing 15% a year, ramping over
    the first four months of a tenure, busier in the autumn, for the days of the month
    the person held their seat. Also the first day held in each month and the days held."""
    org = chunk.org
    m0 = months.astype("M8[D]")
    m1 = (months + 1).astype("M8[D]")
    hire = people["hire_date"].to_numpy("M8[D]")[:, None]
    until = people["until"].to_numpy()[:, None]
    lo, hi = np.maximum(m0, hire), np.minimum(m1, until + DAY)
    days = np.clip((hi - lo) / DAY, 0, None)
    years_in = (m0 - org.start) / DAY / 365.25
    tenure_months = (lo - hire) / DAY / 30.4
    ramp = np.clip(0.25 + tenure_months / 4 * 0.75, 0.25, 1)
    season = 1 + 0.2 * np.isin(calendar_month(months), [9, 10, 11])
    pace = PACE[people["segment"].to_numpy()][:, None] / (PACE @ SEAT_MIX)
    return org.rate * pace * days * GROWTH**years_in * ramp * season, lo, days


def deal_segments(rng: np.random.Generator, own: np.ndarray) -> np.ndarray:
    """Each deal's segment: the rep's own, or now and then a neighbouring one."""
    off = rng.random(len(own)) < OFF_SEGMENT
    step = np.where(own == 0, 1, np.where(own == 2, -1, rng.choice([-1, 1], len(own))))
    return np.where(off, own + step, own)


def expected_size(segment: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The mean amount of a deal created by a rep of ``segment`` in ``region`` (index
    arrays): their own segment's size with the neighbouring segments' share mixed in."""
    neighbours = np.array([SIZES[1], (SIZES[0] + SIZES[2]) / 2, SIZES[1]])
    mixed = (1 - OFF_SEGMENT) * SIZES[segment] + OFF_SEGMENT * neighbours[segment]
    return mixed * REGION_SIZE[region] * np.exp(SIZE_SIGMA**2 / 2 + TRAIT**2 / 2)


STRETCH = 0.9  # quota over capacity


def capacity(chunk: Chunk, people: pd.DataFrame, months: np.ndarray) -> dict[int, np.ndarray]:
    """What each seat can book per month: the deals its holders create (with their ramp),
    closing a segment's typical cycle later, × the win rate × the mean deal size."""
    staying = people.assign(  # the current holders keep their seats to the year's end
        until=people["end_date"].fillna(pd.Timestamp(months[-1] + 1) - pd.Timedelta(days=1))
    )
    created, _, _ = intensity(chunk, staying, months)
    segment = people["segment"].to_numpy()
    lag = np.round(CYCLE_DAYS * 1.13 / 30.4).astype(int)[segment]
    region = np.array([REGIONS.index(r) for r in people["region"]])
    q4 = np.isin(calendar_month(months), Q4)
    win = BASE_WIN * np.exp(TRAIT**2 / 2) * np.where(q4, Q4_WIN, 1.0)
    booked = np.zeros_like(created)
    for i in range(len(people)):
        booked[i, lag[i] :] = created[i, : len(months) - lag[i]]
    booked *= win * expected_size(segment, region)[:, None]
    seats = {seat: booked[rows].sum(0) for seat, rows in people.groupby("seat").indices.items()}
    # A new seat books little until its first deals close; its quota starts at a quarter
    # of what the seat books once ramped, so that every month worked has a quota.
    return {seat: np.maximum(b, 0.25 * b[b > 0].mean()) for seat, b in seats.items()}


def deals(chunk: Chunk, people: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chunk's deals (current state) and their change history: Poisson creation per
    person and month (:func:`intensity`), then stage paths, pushed close dates, amount
    changes, regular touches, reassignments to whoever holds the seat, and the clean-up
    of deals that stalled."""
    org, rng, stages = chunk.org, chunk.rng, chunk.stages
    months = np.arange(org.start.astype("M8[M]"), org.as_of.astype("M8[M]") + 1)
    lam, lo, days = intensity(chunk, people, months)
    counts = rng.poisson(lam)
    person, month = np.nonzero(counts)
    reps = np.repeat(person, counts[person, month])
    start_d = np.repeat(lo[person, month], counts[person, month])
    span = np.repeat(days[person, month], counts[person, month]).astype(int)
    created = start_d + (rng.random(len(reps)) * span).astype(int) * DAY
    n = len(reps)
    p = people.iloc[reps]
    seg = deal_segments(rng, p["segment"].to_numpy())
    region = p["region"].to_numpy()
    region_size = REGION_SIZE[[REGIONS.index(r) for r in region]]
    amount0 = np.round(
        SIZES[seg] * p["size"].to_numpy() * region_size * rng.lognormal(0, SIZE_SIGMA, n), -2
    )
    cycle = CYCLE_DAYS[seg] * p["cycle"].to_numpy()
    n_open = len(stages.open_names)
    # Outcome: won, lost at some open stage, or stalled (never closes).
    q4_close = np.isin(calendar_month(created + cycle.astype(int) * DAY), Q4)
    p_win = np.clip(BASE_WIN * p["win"].to_numpy() * np.where(q4_close, Q4_WIN, 1.0), 0.04, 0.75)
    u = rng.random(n)
    won = u < p_win
    stalled = ~won & (u > 0.95)
    lost_at = rng.choice(n_open, n, p=decreasing(n_open))
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
    snap = won & ((qend - close_t) / DAY < 40) & (rng.random(n) < 0.3)
    close_t = np.where(snap, qend - rng.integers(0, 4, n) * DAY, close_t)
    close_t = np.maximum(close_t, created + DAY)
    # The first expected close date is optimistic and at a month end.
    expected = created + (cycle * rng.uniform(0.6, 1.1, n)).astype(int) * DAY
    expected = ((expected.astype("M8[M]") + 1).astype("M8[D]")) - DAY
    # Events: (deal, time, stage code or -1, amount or nan, close date or NaT).
    ev = [event(chunk, np.arange(n), created, 0, amount=amount0, close=expected)]
    bounds = np.cumsum(share * (close_t - created)[:, None].astype(float), axis=1)
    for k in range(1, n_open):
        has = reached > k
        t = created[has] + bounds[has, k - 1].astype(int) * DAY
        ev.append(event(chunk, np.nonzero(has)[0], t, k, amount=np.nan, close=None, slot=k))
    # Pushes: while the expected date passes before the deal closes, the rep moves it.
    exp = expected.copy()
    end_t = np.where(stalled, org.as_of + 400 * DAY, close_t)
    careless = rng.random(n) < 0.3 * p["pushy"].to_numpy()
    for _ in range(24):
        due = (exp < end_t) & (exp <= org.as_of) & ~(stalled & careless)
        if not due.any():
            break
        idx = np.nonzero(due)[0]
        # The rep notices when the old date arrives, before the deal closes.
        when = np.maximum(exp[idx] - rng.integers(0, 6, len(idx)) * DAY, created[idx])
        exp[idx] = exp[idx] + rng.integers(20, 75, len(idx)) * DAY
        exp[idx] = ((exp[idx].astype("M8[M]") + 1).astype("M8[D]")) - DAY
        ev.append(event(chunk, idx, when, -1, amount=np.nan, close=exp[idx], slot=n_open + 1))
    # Pull-ins: a deal that is closing well before its date gets its date moved earlier.
    early = won & (close_t < exp - 20 * DAY) & (rng.random(n) < 0.6)
    pull_t = np.maximum(close_t - rng.integers(3, 20, n) * DAY, created)
    pulled_to = ((close_t.astype("M8[M]") + 1).astype("M8[D]")) - DAY
    ev.append(
        event(
            chunk,
            np.nonzero(early)[0],
            pull_t[early],
            -1,
            amount=np.nan,
            close=pulled_to[early],
            slot=n_open + 1,
        )
    )
    change = rng.random(n) < 0.25
    when = created + ((close_t - created) / DAY * rng.uniform(0.1, 0.9, n)).astype(int) * DAY
    new_amount = np.round(amount0 * rng.uniform(0.6, 1.4, n), -2)
    ev.append(
        event(
            chunk,
            np.nonzero(change)[0],
            when[change],
            -1,
            amount=new_amount[change],
            close=None,
            slot=n_open,
        )
    )
    # Reps touch their open deals every three weeks or so (a next step, a note): a history
    # row that changes nothing. Careless reps leave their stalled deals alone: the stale ones.
    ev.append(touches(chunk, created, np.where(stalled, org.as_of, close_t), stalled & careless))
    # CRM hygiene: a stalled deal is closed as lost within a year of its last close date.
    late = np.maximum(np.maximum(exp, expected), close_t)  # after its last stage change
    close_t = np.where(stalled, late + rng.integers(30, 330, n) * DAY, close_t)
    close_code = np.where(
        won, stages.names.index(stages.won), stages.names.index(stages.lost_names[0])
    )
    everyone = np.arange(n)  # every deal closes; a close after as_of is not history yet
    ev.append(
        event(chunk, everyone, close_t, close_code, amount=np.nan, close=close_t, slot=n_open + 2)
    )
    history = stage_history(chunk, ev, created, n)
    last = history.groupby("deal", sort=False).tail(1).set_index("deal").sort_index()
    # Whoever holds the seat when the deal ends (or now) owns it: leavers' deals move on.
    seat = p["seat"].to_numpy()
    final = np.minimum(np.where(last["closed"], last["close_date"], org.as_of), org.as_of)
    owner = holder(chunk, people, seat, final.astype("M8[D]"), fallback=reps)
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
    base = id_base(chunk.seats.start, chunk.org)
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


def touches(chunk: Chunk, created, until, idle) -> pd.DataFrame:
    """A row every 14 to 28 days from each deal's creation until ``until`` (its close),
    except for ``idle`` deals."""
    rng = chunk.rng
    span = np.clip((until - created) / DAY, 0, None).astype(int)
    count = np.where(idle, 0, span // 21)
    deal = np.repeat(np.arange(len(created)), count)
    step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + 1
    when = created[deal] + (step * 21 - rng.integers(0, 8, len(deal))) * DAY
    slot = len(chunk.stages.open_names) + 1
    return event(chunk, deal, when, -1, amount=np.nan, close=None, slot=slot)


def event(chunk: Chunk, deal, when, stage, *, amount, close, slot: int = 0) -> pd.DataFrame:
    """Rows of one kind of change; ``slot`` orders same-day changes (hour 8 + slot)."""
    m = len(deal)
    when = np.asarray(when, dtype="M8[D]").astype("M8[s]")
    seconds = ((8 + slot) * 3600 + chunk.rng.integers(0, 3600, m)).astype("m8[s]")
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


def stage_history(
    chunk: Chunk, ev: list[pd.DataFrame], created: np.ndarray, n: int
) -> pd.DataFrame:
    """The change events of every deal in time order, each row carrying the deal's stage,
    amount, close date and forecast category after the change."""
    stages = chunk.stages
    h = pd.concat(ev, ignore_index=True)
    h = h[h["changed_at"] < (chunk.org.as_of + DAY).astype("datetime64[s]")]
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


def holder(chunk: Chunk, people, seat, when, *, fallback) -> np.ndarray:
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


def decreasing(n: int) -> np.ndarray:
    """``n`` weights falling linearly from 2 to 0.6, summing to 1."""
    w = np.linspace(2.0, 0.6, n)
    return w / w.sum()
