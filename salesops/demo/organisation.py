"""The demo's organisation: regions, seats and the people who hold them, with their names,
addresses and selling traits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from salesops.demo.database import Chunk, DemoConfig

REGIONS = ("NA-East", "NA-West", "EMEA", "APAC", "LATAM")
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
PRODUCTS = ("Core", "Analytics", "Integrations", "Services")
LEAD_SOURCES = ("Inbound", "Outbound", "Partner", "Event", "Referral")
ACTIVITY_KINDS = ("call", "email", "meeting", "demo", "admin", "internal", "training")
SELLING = 4  # the first four kinds are selling time
SEAT_MIX = np.array([0.45, 0.35, 0.2])  # seats per segment
TRAIT = 0.15  # how much reps differ in win rate and deal size (lognormal sigma)
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

DAY = np.timedelta64(1, "D")


class Organisation:
    """Seats, the people who hold them, and per-person traits; cheap, made up front."""

    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.as_of: np.datetime64 = np.datetime64(config.as_of, "D")
        start = (
            pd.Timestamp(config.as_of) + pd.Timedelta(days=1) - pd.DateOffset(years=config.years)
        )
        self.start: np.datetime64 = np.datetime64(start.date(), "D")
        rng = np.random.default_rng([config.seed, 0])
        n = config.reps
        self.seat_region = np.array([REGIONS[i % len(REGIONS)] for i in range(n)])
        self.seat_segment = rng.choice(len(SEGMENTS), n, p=SEAT_MIX)
        # Base deal creation per ramped rep and day, chosen so that the total lands near the target.
        span = (self.as_of - self.start) / DAY
        growth = (1.15**config.years - 1) / (config.years * np.log(1.15))
        self.rate = config.opportunities / (n * span * growth * 0.9)

    def chunks(self) -> list[range]:
        """The seats, in chunks of ``chunk_seats``: each chunk is generated and written alone."""
        step = max(1, self.config.chunk_seats)
        return [range(i, min(i + step, self.config.reps)) for i in range(0, self.config.reps, step)]

    def managers(self) -> pd.DataFrame:
        """One manager per region, hired before the history starts."""
        rng = np.random.default_rng([self.config.seed, 1])
        hire = self.start - rng.integers(400, 2500, len(REGIONS)) * DAY
        names = pd.Series([name(i, self.config.seed, manager=True) for i in range(len(REGIONS))])
        return pd.DataFrame(
            {
                "rep_id": [f"M{i + 1:04d}" for i in range(len(REGIONS))],
                "name": names,
                "region": list(REGIONS),
                "manager_id": None,
                "role": "manager",
                "email": email(names),
                "hire_date": hire,
                "end_date": pd.NaT,
            }
        )


def people(chunk: Chunk) -> pd.DataFrame:
    """Everyone who held one of the chunk's seats (a seat is filled again when its rep
    leaves), with ids, names, region, manager and the selling traits that drive their deals."""
    org, rng = chunk.org, chunk.rng
    rows = []
    for seat in chunk.seats:
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
    first_id = chunk.seats.start * 3 + 1  # ids stay ordered by chunk, so ranges prune scans
    people["rep_id"] = [f"R{first_id + i:05d}" for i in range(n)]
    people["name"] = [name(first_id + i, chunk.org.config.seed) for i in range(n)]
    people["region"] = org.seat_region[people["seat"]]
    people["manager_id"] = [f"M{REGIONS.index(r) + 1:04d}" for r in people["region"]]
    people["role"] = "rep"
    people["segment"] = org.seat_segment[people["seat"]]
    people["win"] = rng.lognormal(0, TRAIT, n)
    people["cycle"] = rng.lognormal(0, 0.25, n)
    people["size"] = rng.lognormal(0, TRAIT, n)
    people["pushy"] = rng.gamma(2, 0.5, n)  # how often close dates get pushed
    people["response_min"] = rng.lognormal(np.log(90), 0.9, n)  # median lead response
    people["bias"] = rng.choice([0.75, 1.0, 1.3], n, p=[0.25, 0.5, 0.25])  # sandbag/over
    people["selling"] = rng.beta(6, 3, n)
    people["until"] = people["end_date"].fillna(pd.Timestamp(org.as_of)).to_numpy("M8[D]")
    return people


def email(names: pd.Series) -> pd.Series:
    """Work addresses made from names: ``Ava Tanaka 2`` is ``ava.tanaka.2@example.com``
    (``example.com`` is reserved for examples: nothing sent there reaches anyone)."""
    return names.str.lower().str.replace(" ", ".", regex=False) + "@example.com"


def name(i: int, seed: int, manager: bool = False) -> str:
    """A reproducible full name, unique across everyone: person ``i`` of the reps, or
    manager ``i``. The managers hold the last pairs of first and last names of the
    first round; reps take the others, then every pair again with " 2", " 3" and so on."""
    pairs = len(FIRST) * len(LAST)
    reserved = pairs - len(REGIONS)
    j = reserved + i if manager else (i if i < reserved else i + len(REGIONS))
    k = int(np.random.default_rng([seed, 3]).permutation(pairs)[j % pairs])
    suffix = f" {j // pairs + 1}" if j >= pairs else ""
    return f"{FIRST[k % len(FIRST)]} {LAST[k // len(FIRST)]}{suffix}"
