"""Write the five CRM-export fixtures in this folder (run once; the files are committed).

One small sales org (3 regions, 9 account executives, 3 managers, about 200 deals from
January 2025 to 20 November 2026) is exported in the shapes that sales ops teams bring:

- ``salesforce/``: Opportunity, OpportunityHistory, User and ForecastingQuota objects as
  Data Loader CSVs; the deal's region only on its owner (User.Division); some open deals
  without an Amount; the CRM's own ten-stage list trimmed to seven.
- ``hubspot/``: the Deals and Owners views; stage labels; no history, quotas or hire
  dates; the region only on the owner's team; open deals without a close date.
- ``pipedrive/``: deals and users; the owner by name; won and lost in ``Deal - Status``
  while ``Deal - Stage`` keeps the last pipeline stage; closed and expected close dates in
  separate columns; no history or quotas.
- ``zoho/``: Deals, Users and Leads modules; deals imported without a Created Time; a
  stage "Closed Lost to Competition"; leads without first-response times.
- ``spreadsheet/``: one workbook kept by hand (sheets Deals, Team, Quotas); the region
  typed on most deals but not all; open deals without an expected close.

Each folder's ``source.yml`` is the source file a user ends up with after editing what
``salesops map`` proposes. The generator is deterministic (numpy seed 15).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
AS_OF = pd.Timestamp("2026-11-20")
REGIONS = ["Central", "East", "West"]
FIRST = ["Ava", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jude", "Kai", "Lia"]
LAST = ["Moreno", "Novak", "Okafor", "Park", "Quinn", "Rossi", "Sato", "Tan", "Ueda", "Vega"]
# Canonical stage index: 0..4 open (prospect .. negotiate), 5 won, 6 lost.
SOURCES = ["Web", "Referral", "Partner", "Outbound", "Event"]


def org(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """People, deals (with a stage index) and stage changes of the one underlying org."""
    people = []
    for r, region in enumerate(REGIONS):
        people.append(
            {
                "key": f"M{r}",
                "name": f"{FIRST[r]} {LAST[r]}",
                "region": region,
                "manager": None,
                "role": "manager",
                "hire": pd.Timestamp("2021-03-01") + pd.Timedelta(days=90 * r),
                "end": pd.NaT,
            }
        )
        for k in range(3):
            i = 3 + 3 * r + k
            hire = pd.Timestamp("2022-01-10") + pd.Timedelta(days=70 * i)
            if i == 5:
                hire = pd.Timestamp("2026-07-01")  # ramping
            end = pd.Timestamp("2026-04-30") if i == 10 else pd.NaT  # left in April
            people.append(
                {
                    "key": f"A{i}",
                    "name": f"{FIRST[i % 12]} {LAST[i % 10]}",
                    "region": region,
                    "manager": f"M{r}",
                    "role": "rep",
                    "hire": hire,
                    "end": end,
                }
            )
    people = pd.DataFrame(people)
    deals, changes = [], []
    n = 0
    for rep in people[people["role"] == "rep"].itertuples():
        start = max(pd.Timestamp("2025-01-01"), rep.hire)
        stop = min(AS_OF, rep.end) if pd.notna(rep.end) else AS_OF
        day = start + pd.Timedelta(days=int(rng.integers(0, 20)))
        while day < stop:
            n += 1
            cycle = int(rng.integers(15, 130))
            close = day + pd.Timedelta(days=cycle)
            amount = float(np.round(rng.lognormal(9.9, 0.6), -2))
            if close <= AS_OF:
                stage = 5 if rng.random() < 0.32 else 6
                reached = int(rng.integers(1, 5)) if stage == 6 else 4
            else:
                stage = reached = int(rng.integers(0, 5))
            deals.append(
                {
                    "n": n,
                    "owner": rep.key,
                    "region": rep.region,
                    "created": day,
                    "close": close,
                    "stage": stage,
                    "amount": amount,
                    "source": SOURCES[n % 5],
                    "segment": ["SMB", "Mid-Market", "Enterprise"][n % 3],
                }
            )
            steps = list(range(reached + 1)) + ([stage] if stage >= 5 else [])
            times = np.linspace(0, max(min(close, AS_OF) - day, pd.Timedelta(0)).days, len(steps))
            for s, t in zip(steps, times, strict=True):
                changes.append(
                    {
                        "n": n,
                        "at": day + pd.Timedelta(days=float(t), hours=10),
                        "stage": s,
                        "amount": amount,
                        "close": close,
                    }
                )
            day += pd.Timedelta(days=int(rng.integers(14, 40)))
    return people, pd.DataFrame(deals), pd.DataFrame(changes)


def _date(values: pd.Series, fmt: str) -> pd.Series:
    return values.dt.strftime(fmt).where(values.notna(), "")


def _email(people: pd.DataFrame) -> pd.Series:
    return people["name"].str.lower().str.replace(" ", ".") + "@example.com"


def salesforce(people: pd.DataFrame, deals: pd.DataFrame, changes: pd.DataFrame) -> None:
    out = HERE / "salesforce"
    out.mkdir(exist_ok=True)
    stages = [
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    ]
    category = ["Pipeline", "Pipeline", "Pipeline", "Best Case", "Commit", "Closed", "Omitted"]
    uid = {k: f"0056g00000U{i:04d}" for i, k in enumerate(people["key"])}
    oid = deals["n"].map(lambda n: f"0066g00000B{n:04d}")
    amount = deals["amount"].astype(object)
    amount[(deals["stage"] < 2) & (deals["n"] % 3 == 0)] = ""  # early open deals, no amount yet
    pd.DataFrame(
        {
            "Id": oid,
            "Name": "Deal " + deals["n"].astype(str),
            "AccountId": "0016g0000C" + deals["n"].astype(str),
            "OwnerId": deals["owner"].map(uid),
            "StageName": deals["stage"].map(dict(enumerate(stages))),
            "Amount": amount,
            "CloseDate": _date(deals["close"], "%Y-%m-%d"),
            "CreatedDate": _date(
                deals["created"] + pd.Timedelta(hours=9), "%Y-%m-%dT%H:%M:%S.000+0000"
            ),
            "LeadSource": deals["source"],
            "Type": "New Business",
            "ForecastCategoryName": deals["stage"].map(dict(enumerate(category))),
        }
    ).to_csv(out / "Opportunity.csv", index=False)
    pd.DataFrame(
        {
            "OpportunityId": changes["n"].map(lambda n: f"0066g00000B{n:04d}"),
            "CreatedDate": _date(changes["at"], "%Y-%m-%dT%H:%M:%S.000+0000"),
            "StageName": changes["stage"].map(dict(enumerate(stages))),
            "Amount": changes["amount"],
            "CloseDate": _date(changes["close"], "%Y-%m-%d"),
            "ForecastCategory": changes["stage"].map(dict(enumerate(category))),
        }
    ).to_csv(out / "OpportunityHistory.csv", index=False)
    role = people["role"].map({"rep": "Account Executive", "manager": "Sales Manager"})
    pd.DataFrame(
        {
            "Id": people["key"].map(uid),
            "Name": people["name"],
            "Division": people["region"],
            "ManagerId": people["manager"].map(uid).fillna(""),
            "UserRole": role,
            "Email": _email(people),
            "Start_Date__c": _date(people["hire"], "%Y-%m-%d"),
            "Termination_Date__c": _date(people["end"], "%Y-%m-%d"),
        }
    ).to_csv(out / "User.csv", index=False)
    months = pd.date_range("2025-01-01", "2026-12-01", freq="MS")
    reps = people[people["role"] == "rep"]
    quota = [
        {"QuotaOwnerId": uid[r.key], "StartDate": f"{m:%Y-%m-%d}", "QuotaAmount": 30000}
        for r in reps.itertuples()
        for m in months
        if m >= r.hire.replace(day=1) and (pd.isna(r.end) or m <= r.end)
    ]
    pd.DataFrame(quota).to_csv(out / "ForecastingQuota.csv", index=False)


def hubspot(people: pd.DataFrame, deals: pd.DataFrame) -> None:
    out = HERE / "hubspot"
    out.mkdir(exist_ok=True)
    stages = [
        "Appointment Scheduled",
        "Qualified To Buy",
        "Presentation Scheduled",
        "Decision Maker Bought-In",
        "Contract Sent",
        "Closed Won",
        "Closed Lost",
    ]
    owner = {k: 81200 + i for i, k in enumerate(people["key"])}
    close = _date(deals["close"], "%Y-%m-%d %H:%M")
    close[(deals["stage"] < 5) & (deals["n"] % 2 == 0)] = ""  # open deals without a close date
    pd.DataFrame(
        {
            "Record ID": 9000 + deals["n"],
            "Deal Name": "Deal " + deals["n"].astype(str),
            "Deal Stage": deals["stage"].map(dict(enumerate(stages))),
            "Amount": deals["amount"],
            "Close Date": close,
            "Create Date": _date(deals["created"] + pd.Timedelta(hours=11), "%Y-%m-%d %H:%M"),
            "Deal owner ID": deals["owner"].map(owner),
            "Pipeline": "Sales Pipeline",
            "Original Source": deals["source"].str.upper(),
        }
    ).to_csv(out / "deals.csv", index=False)
    active = people["end"].isna()
    pd.DataFrame(
        {
            "Owner ID": people["key"].map(owner),
            "Owner name": people["name"],
            "Email": _email(people),
            "Team": people["region"] + " Sales",
            "Role": people["role"].map({"rep": "Account Executive", "manager": "Sales Manager"}),
            "Archived": np.where(active, "false", "true"),
        }
    ).to_csv(out / "owners.csv", index=False)


def pipedrive(people: pd.DataFrame, deals: pd.DataFrame) -> None:
    out = HERE / "pipedrive"
    out.mkdir(exist_ok=True)
    stages = [
        "Qualified",
        "Contact Made",
        "Demo Scheduled",
        "Proposal Made",
        "Negotiations Started",
    ]
    name = dict(zip(people["key"], people["name"], strict=True))
    status = deals["stage"].map(lambda s: "won" if s == 5 else "lost" if s == 6 else "open")
    last = deals["stage"].where(deals["stage"] < 5, (deals["n"] % 3) + 2)  # last pipeline stage
    closed = deals["stage"] >= 5
    expected = _date(deals["close"], "%Y-%m-%d")
    expected[~closed & (deals["n"] % 4 == 0)] = ""
    pd.DataFrame(
        {
            "Deal - ID": deals["n"] + 300,
            "Deal - Title": "Deal " + deals["n"].astype(str),
            "Deal - Value": deals["amount"],
            "Deal - Currency": "USD",
            "Deal - Owner": deals["owner"].map(name),
            "Deal - Stage": last.map(dict(enumerate(stages))),
            "Deal - Status": status,
            "Deal - Deal created": _date(
                deals["created"] + pd.Timedelta(hours=8), "%Y-%m-%d %H:%M:%S"
            ),
            "Deal - Deal closed on": _date(deals["close"].where(closed), "%Y-%m-%d %H:%M:%S"),
            "Deal - Expected close date": expected.where(~closed, ""),
            "Deal - Pipeline": "Sales",
            "Deal - Source": deals["source"],
        }
    ).to_csv(out / "deals.csv", index=False)
    pd.DataFrame(
        {
            "ID": 1000 + people.index,
            "Name": people["name"],
            "Team": people["region"],
            "Email": _email(people),
            "Is admin": np.where(people["role"] == "manager", "Yes", "No"),
            "Active": np.where(people["end"].isna(), "Yes", "No"),
        }
    ).to_csv(out / "users.csv", index=False)


def zoho(people: pd.DataFrame, deals: pd.DataFrame, rng: np.random.Generator) -> None:
    out = HERE / "zoho"
    out.mkdir(exist_ok=True)
    stages = [
        "Qualification",
        "Needs Analysis",
        "Value Proposition",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    ]
    uid = {k: f"4876{i:06d}" for i, k in enumerate(people["key"])}
    stage = deals["stage"].map(dict(enumerate(stages)))
    stage[(deals["stage"] == 6) & (deals["n"] % 2 == 0)] = "Closed Lost to Competition"
    created = _date(deals["created"] + pd.Timedelta(hours=14), "%Y-%m-%d %H:%M:%S")
    imported = deals["n"] % 9 == 0
    created[imported] = ""  # imported from the old CRM without a created time
    modified = deals["created"] + pd.Timedelta(days=3)
    pd.DataFrame(
        {
            "Record Id": "zcrm_" + (5000 + deals["n"]).astype(str),
            "Deal Name": "Deal " + deals["n"].astype(str),
            "Deal Owner": deals["owner"].map(dict(zip(people["key"], people["name"], strict=True))),
            "Deal Owner.id": deals["owner"].map(uid),
            "Amount": deals["amount"],
            "Stage": stage,
            "Closing Date": _date(deals["close"], "%Y-%m-%d"),
            "Created Time": created,
            "Modified Time": _date(modified, "%Y-%m-%d %H:%M:%S"),
            "Lead Source": deals["source"],
            "Type": "New Business",
        }
    ).to_csv(out / "Deals.csv", index=False)
    pd.DataFrame(
        {
            "id": people["key"].map(uid),
            "Full Name": people["name"],
            "Territory": people["region"],
            "Role": people["role"].map({"rep": "Sales Rep", "manager": "Sales Manager"}),
            "Reporting To.id": people["manager"].map(uid).fillna(""),
            "Email": _email(people),
            "Status": np.where(people["end"].isna(), "active", "deactivated"),
        }
    ).to_csv(out / "Users.csv", index=False)
    leads = []
    reps = people[(people["role"] == "rep")]
    won_by_month = deals.set_index("n")
    for i in range(240):
        at = pd.Timestamp("2025-01-01") + pd.Timedelta(hours=int(rng.integers(0, 16000)))
        if at >= AS_OF:
            continue
        rep = reps.iloc[i % len(reps)]
        converted = (
            at + pd.Timedelta(days=int(rng.integers(2, 60))) if rng.random() < 0.2 else pd.NaT
        )
        if pd.notna(converted) and converted >= AS_OF:
            converted = pd.NaT
        deal = won_by_month[won_by_month["owner"] == rep.key].index
        leads.append(
            {
                "Record Id": f"zlead_{7000 + i}",
                "Created Time": f"{at:%Y-%m-%d %H:%M:%S}",
                "Lead Source": SOURCES[i % 5],
                "Lead Owner.id": uid[rep.key],
                "Converted Time": "" if pd.isna(converted) else f"{converted:%Y-%m-%d %H:%M:%S}",
                "Converted Deal.id": ""
                if pd.isna(converted) or not len(deal)
                else f"zcrm_{5000 + deal[i % len(deal)]}",
            }
        )
    pd.DataFrame(leads).to_csv(out / "Leads.csv", index=False)


def spreadsheet(people: pd.DataFrame, deals: pd.DataFrame) -> None:
    out = HERE / "spreadsheet"
    out.mkdir(exist_ok=True)
    stages = ["Lead", "Lead", "Demo", "Proposal", "Proposal", "Won", "Lost"]
    name = dict(zip(people["key"], people["name"], strict=True))
    region = deals["region"].where(deals["n"] % 4 != 0)  # not typed on every row
    expected = deals["close"].where((deals["stage"] >= 5) | (deals["n"] % 5 != 0))
    frames = {
        "Deals": pd.DataFrame(
            {
                "Deal": "D-" + deals["n"].astype(str).str.zfill(4),
                "Customer": "Customer " + deals["n"].astype(str),
                "Rep": deals["owner"].map(name),
                "Region": region,
                "Stage": deals["stage"].map(dict(enumerate(stages))),
                "Value": deals["amount"],
                "Opened": deals["created"],
                "Close (expected)": expected,
                "Source": deals["source"],
            }
        ),
        "Team": pd.DataFrame(
            {
                "Name": people["name"],
                "Region": people["region"],
                "Manager": people["manager"].map(name),
                "Role": people["role"].map({"rep": "AE", "manager": "Manager"}),
                "Start date": people["hire"],
                "Left": people["end"],
            }
        ),
        "Quotas": pd.DataFrame(
            [
                {"Rep": r.name, "Month": m, "Quota": 25000}
                for r in people[people["role"] == "rep"].itertuples()
                for m in pd.date_range("2026-01-01", "2026-12-01", freq="MS")
                if pd.isna(r.end) and m >= r.hire.replace(day=1)
            ]
        ),
    }
    with pd.ExcelWriter(out / "pipeline.xlsx") as writer:
        for sheet, frame in frames.items():
            frame.to_excel(writer, sheet_name=sheet, index=False)


def main() -> None:
    rng = np.random.default_rng(15)
    people, deals, changes = org(rng)
    salesforce(people, deals, changes)
    hubspot(people, deals)
    pipedrive(people, deals)
    zoho(people, deals, rng)
    spreadsheet(people, deals)


if __name__ == "__main__":
    main()
