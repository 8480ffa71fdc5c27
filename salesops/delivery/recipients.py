"""Who receives which report: a plan's ``delivery`` section, resolved against the people
in the data at delivery time, as the runner resolves scopes.

.. code-block:: yaml

    delivery:
      sender: "Sales Operations <sales-ops@example.com>"
      template: email.j2          # under parameters/: the subject and the body
      attach: pdf                 # pdf, or link: a link under base_url instead
      base_url: null              # where reports/ is published, for links
      reps: [performance_review]  # each rep receives their own
      managers: [team_review]     # each manager receives those of the regions they lead
      copy_managers: false        # and each of their reps' own reports
      addresses:                  # named recipients of company reports
        - {to: vp.sales@example.com, name: Vice President of Sales,
           reports: ["metrics:company", "forecast:company"]}

The rules, in the order they apply:

- **A rep** (``rep:<id>`` scope) receives their own report, at ``reps.email``.
- **A manager** is a person whose ``role`` is ``manager`` (or, where the source has no
  roles, who is someone's ``manager_id``). They lead their home region and the home
  regions of their current direct reports, and receive those regions' reports; with
  ``copy_managers`` also the reports of each current direct report.
- **A named address** receives every report whose ``report:scope`` matches one of its
  patterns (``forecast:*``).
- **Leavers receive nothing:** a person whose ``end_date`` is on or before the day of
  delivery.
- **Undeliverable**, and listed as such: a person without an email address, or whose
  address is not one, or whose name holds a line break or other control character (it
  would break the message's headers), an address that two current people share (either
  would read the other's report), a rep scope with no one in ``reps``, and a region
  without a current manager.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass
from datetime import date
from typing import Literal

import pandas as pd

from salesops.batch.plan import DeliveryConfig
from salesops.data.contracts import CONTROL, EMAIL
from salesops.data.scopes import Scope

Why = Literal["own", "team", "copy", "named"]


@dataclass(frozen=True)
class Person:
    """Someone in ``reps`` who may receive reports."""

    id: str
    name: str
    email: str | None
    region: str | None
    _: KW_ONLY
    role: str | None
    manager_id: str | None
    end_date: pd.Timestamp | None


@dataclass(frozen=True)
class Parcel:
    """One report for one recipient.

    ``problem`` says why it cannot be delivered (None: it can); ``left`` is the end date
    of a recipient who has left, who receives nothing.
    """

    name: str
    to: str | None
    person: str | None
    report: str
    _: KW_ONLY
    scope: str
    why: Why
    problem: str | None = None
    left: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What the delivery log matches on: the address, the report and its scope."""
        return (self.to or "", self.report, self.scope)


def people(reps: pd.DataFrame) -> dict[str, Person]:
    """The people of a coerced ``reps`` table, by id."""
    out = {}
    for row in reps.to_dict("records"):
        clean = {k: (None if v is None or v is pd.NA or v != v else v) for k, v in row.items()}
        out[str(clean["rep_id"])] = Person(
            str(clean["rep_id"]),
            str(clean.get("name") or clean["rep_id"]),
            clean.get("email"),
            clean.get("region"),
            role=clean.get("role"),
            manager_id=clean.get("manager_id"),
            end_date=clean.get("end_date"),
        )
    return out


def parcels(
    config: DeliveryConfig,
    reports: Iterable[tuple[str, str]],
    everyone: Mapping[str, Person],
    today: date,
) -> list[Parcel]:
    """Every (recipient, report) pair the configuration asks for, for the ``reports``
    (report, scope) that a run made, each with its problem or end date where it has one."""
    current = {pid: p for pid, p in everyone.items() if not _left(p, today)}
    shared = _shared_addresses(current.values())
    leads = _regions_led(everyone, current)
    out: list[Parcel] = []

    def parcel(person: Person, report: str, scope: str, why: Why) -> None:
        problem = None
        if not person.email:
            problem = "no email address in reps"
        elif not re.fullmatch(EMAIL, person.email) or re.search(CONTROL, person.email):
            problem = f"the email address in reps is not an address: {person.email!r}"
        elif re.search(CONTROL, person.name):
            problem = f"the name in reps holds a line break or control character: {person.name!r}"
        elif person.email.lower() in shared:
            problem = f"{person.email} is shared by {shared[person.email.lower()]} people in reps"
        left = None if person.id in current else f"{person.end_date:%Y-%m-%d}"
        out.append(
            Parcel(
                person.name,
                person.email,
                person.id,
                report,
                scope=scope,
                why=why,
                problem=problem,
                left=left,
            )
        )

    for report, scope_text in reports:
        scope = Scope.parse(scope_text)
        if report in config.reps and scope.level == "rep":
            person = everyone.get(scope.value or "")
            if person is None:
                out.append(
                    Parcel(
                        scope_text,
                        None,
                        None,
                        report,
                        scope=scope_text,
                        why="own",
                        problem="not in reps",
                    )
                )
                continue
            parcel(person, report, scope_text, "own")
            manager = everyone.get(person.manager_id or "")
            if config.copy_managers and manager is not None:
                parcel(manager, report, scope_text, "copy")
        if report in config.managers and scope.level == "region":
            managers = [everyone[m] for m, regions in leads.items() if scope.value in regions]
            if not any(m.id in current for m in managers):
                name = f"manager of {scope.value}"
                problem = "no current manager leads this region"
                out.append(
                    Parcel(name, None, None, report, scope=scope_text, why="team", problem=problem)
                )
            for manager in managers:
                parcel(manager, report, scope_text, "team")
        for named in config.addresses:
            patterns = named.reports
            if any(fnmatch.fnmatchcase(f"{report}:{scope_text}", p) for p in patterns):
                name = named.name or named.to
                out.append(Parcel(name, named.to, None, report, scope=scope_text, why="named"))
    return out


def matches(parcel: Parcel, pattern: str | None) -> bool:
    """Whether a ``--only`` pattern (comma-separated) matches the parcel's report,
    ``report:scope``, scope, address or person id."""
    if not pattern:
        return True
    names = [parcel.report, f"{parcel.report}:{parcel.scope}", parcel.scope]
    names += [parcel.to or "", parcel.person or ""]
    return any(fnmatch.fnmatchcase(n, p.strip()) for p in pattern.split(",") for n in names)


def _left(person: Person, today: date) -> bool:
    return person.end_date is not None and pd.Timestamp(person.end_date).date() <= today


def _shared_addresses(people: Iterable[Person]) -> dict[str, int]:
    counts = pd.Series([p.email.lower() for p in people if p.email]).value_counts()
    return {str(k): int(v) for k, v in counts.items() if v > 1}


def _regions_led(
    everyone: Mapping[str, Person], current: Mapping[str, Person]
) -> dict[str, set[str]]:
    """Each manager's id (leavers too, so that they are listed) and the regions they lead."""
    has_roles = any(p.role for p in everyone.values())
    reports_to: dict[str, set[str]] = {}
    for person in current.values():
        if person.manager_id and person.region:
            reports_to.setdefault(person.manager_id, set()).add(person.region)
    leads: dict[str, set[str]] = {}
    for pid, person in everyone.items():
        manager = person.role == "manager" if has_roles else pid in reports_to
        if manager:
            leads[pid] = reports_to.get(pid, set()) | ({person.region} if person.region else set())
    return leads
