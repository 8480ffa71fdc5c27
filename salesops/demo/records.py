"""What the demo's reps log around their deals: leads, activities, quotas and forecast
submissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesops.demo.deals import STRETCH, capacity
from salesops.demo.organisation import ACTIVITY_KINDS, DAY, LEAD_SOURCES, SELLING
from salesops.demo.schema import columns, id_base

if TYPE_CHECKING:
    from salesops.demo.database import Chunk


def leads(chunk: Chunk, people: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
    """Leads: one behind each inbound deal (converted), more that never converted, routed
    to reps who answer after a long-tailed delay, or never."""
    rng = chunk.rng
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
    hire = np.maximum(people["hire_date"].to_numpy("M8[D]")[who], chunk.org.start)
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
    cutoff = (chunk.org.as_of + DAY).astype("datetime64[s]")
    leads = leads[leads["created_at"] < cutoff].copy()
    late = leads["first_response_at"] >= cutoff
    leads.loc[late, "first_response_at"] = pd.NaT
    leads["owner_id"] = people["rep_id"].to_numpy()[leads["person"]]
    leads = leads.sort_values(["owner_id", "created_at"], kind="stable")
    base = id_base(chunk.seats.start, chunk.org) * 3
    leads["lead_id"] = [f"L{base + i:08d}" for i in range(len(leads))]
    return leads[list(columns("leads"))].reset_index(drop=True)


def activities(chunk: Chunk, people: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
    """Logged activities per rep and working day: selling kinds and the rest."""
    rng, org = chunk.rng, chunk.org
    frames = []
    for i, person in people.iterrows():
        start = max(person["hire_date"], pd.Timestamp(org.start))
        days = pd.bdate_range(start, person["until"]).to_numpy("M8[D]")
        if len(days) == 0:
            continue
        n = rng.poisson(3.2, len(days))
        t = np.repeat(days, n).astype("M8[s]") + rng.integers(8 * 3600, 18 * 3600, n.sum()).astype(
            "m8[s]"
        )
        sell = person["selling"]
        p = np.r_[np.array([0.35, 0.3, 0.2, 0.15]) * sell, np.array([0.5, 0.35, 0.15]) * (1 - sell)]
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
    acts = pd.concat(frames, ignore_index=True).sort_values(["rep_id", "started_at"], kind="stable")
    base = id_base(chunk.seats.start, org) * 60
    acts.insert(0, "activity_id", [f"X{base + i:09d}" for i in range(len(acts))])
    return acts.reset_index(drop=True)


def quotas(chunk: Chunk, people: pd.DataFrame) -> pd.DataFrame:
    """A monthly quota per rep from what their seat can book (:func:`capacity`), from the
    first month after they start to their last month or the end of the current year."""
    org = chunk.org
    year_end = pd.Timestamp(org.as_of).to_period("Y").end_time.normalize()
    months = np.arange(org.start.astype("M8[M]"), np.datetime64(year_end, "M") + 1)
    seats = capacity(chunk, people, months)
    rows = []
    for _, person in people.iterrows():
        last = year_end if pd.isna(person["end_date"]) else person["end_date"]
        held = pd.date_range(max(person["hire_date"], pd.Timestamp(org.start)), last, freq="MS")
        index = (held.to_numpy("M8[M]") - months[0]).astype(int)
        amount = np.round(seats[person["seat"]][index] * STRETCH, -2)
        rows.append(pd.DataFrame({"rep_id": person["rep_id"], "month": held, "amount": amount}))
    return pd.concat(rows, ignore_index=True)


def submissions(chunk: Chunk, people: pd.DataFrame, opps: pd.DataFrame) -> pd.DataFrame:
    """Monthly commit and best-case submissions per rep, biased by the rep's habit
    (sandbagging or over-forecasting)."""
    rng = chunk.rng
    won = opps[opps["stage"] == chunk.stages.won]
    booked = won.groupby(["person", won["close_date"].to_numpy("M8[M]")])["amount"].sum()
    rows = []
    last_month = pd.Timestamp(chunk.org.as_of).to_period("M").start_time
    for i, person in people.iterrows():
        months = pd.date_range(
            max(person["hire_date"], pd.Timestamp(chunk.org.start)), person["until"], freq="MS"
        )
        months = months[(months > person["hire_date"]) & (months <= last_month)]
        actual = np.array([booked.get((i, m.to_datetime64().astype("M8[M]")), 0.0) for m in months])
        commit = np.round(actual * person["bias"] * rng.lognormal(0, 0.2, len(months)), -2)
        best = np.round(commit * rng.uniform(1.1, 1.45, len(months)), -2)
        when = (
            months + pd.Timedelta(days=2) + pd.to_timedelta(rng.integers(9, 17, len(months)), "h")
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
