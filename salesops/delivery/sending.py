"""Delivery: after a run, each person receives their own reports by email.

``salesops deliver PERIOD`` reads the period's manifest, resolves who receives what from
the plan's ``delivery`` section and the people in the data (:mod:`salesops.delivery.recipients`),
and sends one message per recipient, with the PDFs attached or linked, whose subject and
body come from a Jinja2 template quoting each report's headline numbers
(:mod:`salesops.batch.headlines`).

Exactly once: ``reports/<period>/deliveries.jsonl`` records every message (recipient,
reports with their fingerprints, status, time). A report already delivered with the same
fingerprint is not sent again; one whose fingerprint changed is sent again, marked
"updated". A message is logged as ``sending`` before it goes and ``sent`` (or ``failed``)
once the server answered, so a run killed in between leaves a record, and the next run
sends it again with the same Message-ID. Only the instant between the server's "250 OK"
and that write is uncovered: a kill there sends that one message twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import KW_ONLY, dataclass, field, replace
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from salesops.batch import manifest
from salesops.batch.lock import RunLock
from salesops.batch.plan import BatchPlan, DeliveryConfig
from salesops.data.scopes import Scope
from salesops.delivery import letters
from salesops.delivery.letters import Item
from salesops.delivery.recipients import Parcel, Person, matches, parcels, people
from salesops.delivery.smtp import Mailer, SendError, SMTPSettings, UnreachableError
from salesops.errors import ConfigError
from salesops.storage import write_atomic

LOG = "deliveries.jsonl"
OUTBOX = "outbox"


@dataclass
class Outcome:
    """What a delivery did."""

    period: str
    sent: list[dict[str, Any]] = field(default_factory=list)  # or written, in a dry run
    unchanged: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    _: KW_ONLY
    undeliverable: list[Parcel] = field(default_factory=list)
    left: list[Parcel] = field(default_factory=list)
    not_ready: list[tuple[Parcel, str]] = field(default_factory=list)  # failed or missing
    outbox: Path | None = None
    stopped: str | None = None  # why sending stopped early

    @property
    def ok(self) -> bool:
        """Whether every report that should have gone out went out."""
        return not (self.failed or self.not_ready or self.stopped)

    def lines(self, where: Path | None) -> list[tuple[str, bool]]:
        """What to tell the person who ran it: (line, whether it is an error)."""
        updated = sum(any(r["updated"] for r in m["reports"]) for m in self.sent)
        verb = "written" if self.outbox else "sent"
        out = [
            (
                f"{self.period}: {len(self.sent)} messages {verb} ({updated} updated), "
                f"{self.unchanged} reports already delivered, {len(self.failed)} failed "
                f"-> {where}",
                False,
            )
        ]
        if self.left:
            names = ", ".join(sorted({f"{p.name} (left {p.left})" for p in self.left}))
            out.append((f"  nothing for {len({p.person for p in self.left})}: {names}", False))
        out += [
            (f"  undeliverable: {p.report} {p.scope} to {p.name}: {p.problem}", False)
            for p in self.undeliverable
        ]
        out += [
            (f"  NOT SENT {p.report} {p.scope} to {p.name}: {problem}", True)
            for p, problem in self.not_ready
        ]
        out += [(f"  FAILED to {m['to']}: {m['error']}", True) for m in self.failed]
        if self.stopped:
            out.append((f"  stopped: {self.stopped}; run again to send the rest", True))
        return out


def deliver(
    plan: BatchPlan,
    out_dir: Path,
    period: str,
    *,
    source: str | None = None,
    dry_run: bool = False,
    only: str | None = None,
    today: date | None = None,
    smtp: SMTPSettings | None = None,
    wait: bool = True,
    notify: Callable[[str], None] | None = None,
) -> Outcome:
    """Send the period's reports to their recipients; see the module docstring.

    ``dry_run`` writes each message to ``<period>/outbox/*.eml`` instead and records
    nothing. ``only`` (comma-separated patterns) keeps the reports or recipients it
    matches: a report, ``report:scope``, a scope, an address or a person's id. ``today``
    decides who has left (default: today). The run lock of ``out_dir`` is held
    throughout, so no run rewrites a report while it is being sent.
    """
    config = plan.delivery
    if config is None:
        raise ConfigError(f"{plan.origin}: the plan has no 'delivery' section")
    template = letters.template(config, plan)
    settings = None if dry_run else smtp or SMTPSettings.load()
    with RunLock(out_dir, wait=wait, notify=notify):
        folder = out_dir / period
        entries = manifest.load(folder)
        if not entries:
            raise ConfigError(f"no reports for {period} in {folder}: `salesops run` them first")
        everyone = _people(source or _source_of(entries) or plan.source)
        outcome = Outcome(period)
        ready = []
        for parcel in parcels(config, sorted(entries), everyone, today or date.today()):
            if not matches(parcel, only):
                continue
            problem = _not_ready(entries[(parcel.report, parcel.scope)], config, folder)
            if parcel.left:
                outcome.left.append(parcel)
            elif parcel.problem:
                outcome.undeliverable.append(parcel)
            elif problem:
                outcome.not_ready.append((parcel, problem))
            else:
                ready.append(parcel)
        log = folder / LOG
        records = manifest.read_lines(log)
        messages = _messages(ready, entries, _delivered(records), outcome)
        interrupted = _interrupted(records)
        if dry_run:
            outcome.outbox = _clear(folder / OUTBOX)
        as_of = _as_of(entries)
        with nullcontext() if settings is None else Mailer(settings) as mailer:
            for n, items in enumerate(messages, 1):
                again = [interrupted.get((_key(i.parcel), i.entry["fingerprint"])) for i in items]
                resumed = next((m for m in again if m), None)  # the same Message-ID again
                try:
                    message = letters.compose(
                        config,
                        template,
                        items,
                        folder=folder,
                        everyone=everyone,
                        as_of=as_of,
                        message_id=resumed,
                    )
                except ValueError as exc:  # a header the values break: this one, not all
                    problem = f"the message cannot be written: {exc}"
                    outcome.undeliverable += [replace(i.parcel, problem=problem) for i in items]
                    continue
                record = _record(message, items)
                if mailer is None:  # a dry run: the message goes to the outbox
                    assert outcome.outbox is not None
                    name = re.sub(r"[^\w.@-]", "_", items[0].parcel.to or "")
                    write_atomic(outcome.outbox / f"{n:04d}-{name}.eml", message.as_bytes())
                    outcome.sent.append(record)
                    continue
                if not _send(mailer, message, record=record, log=log, outcome=outcome):
                    break
        if not dry_run:
            for parcel in outcome.undeliverable:
                manifest.append(log, _undeliverable(parcel, entries))
    return outcome


def _send(
    mailer: Mailer,
    message: EmailMessage,
    *,
    record: dict[str, Any],
    log: Path,
    outcome: Outcome,
) -> bool:
    """Send one message with its log lines around it; False when the server is gone."""
    manifest.append(log, {**record, "status": "sending", "time": manifest.now()})
    try:
        attempts = mailer.send(message)
    except SendError as exc:
        failed = {**record, "status": "failed", "error": str(exc), "attempts": exc.attempts}
        manifest.append(log, {**failed, "time": manifest.now()})
        outcome.failed.append(failed)
        return True
    except UnreachableError as exc:
        failed = {**record, "status": "failed", "error": str(exc)}
        manifest.append(log, {**failed, "time": manifest.now()})
        outcome.failed.append(failed)
        outcome.stopped = str(exc)
        return False
    sent = {**record, "status": "sent", "attempts": attempts, "time": manifest.now()}
    manifest.append(log, sent)
    outcome.sent.append(sent)
    return True


def _messages(
    ready: Sequence[Parcel],
    entries: Mapping[tuple[str, str], Mapping[str, Any]],
    delivered: Mapping[tuple[str, str, str], str],
    outcome: Outcome,
) -> list[list[Item]]:
    """One message per address, holding the reports it has not yet received as they are."""
    by_address: dict[str, list[Item]] = {}
    for parcel in ready:
        entry = entries[(parcel.report, parcel.scope)]
        before = delivered.get(_key(parcel))
        if before == entry["fingerprint"]:
            outcome.unchanged += 1
            continue
        item = Item(parcel, entry, updated=before is not None)
        by_address.setdefault((parcel.to or "").lower(), []).append(item)
    return list(by_address.values())


def _key(parcel: Parcel) -> tuple[str, str, str]:
    return ((parcel.to or "").lower(), parcel.report, parcel.scope)


def _record(message: EmailMessage, items: Sequence[Item]) -> dict[str, Any]:
    """The log record of a message."""
    first = items[0].parcel
    reports = [
        {
            "report": i.parcel.report,
            "scope": i.parcel.scope,
            "fingerprint": i.entry["fingerprint"],
            "updated": i.updated,
        }
        for i in items
    ]
    return {
        "to": first.to,
        "name": first.name,
        "person": first.person,
        "subject": str(message["Subject"]),
        "message_id": str(message["Message-ID"]),
        "reports": reports,
    }


def _delivered(records: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, str], str]:
    """The fingerprint last delivered for each (address, report, scope)."""
    out = {}
    for record in records:
        if record.get("status") == "sent":
            for r in record["reports"]:
                out[((record["to"] or "").lower(), r["report"], r["scope"])] = r["fingerprint"]
    return out


def _interrupted(
    records: Sequence[Mapping[str, Any]],
) -> dict[tuple[tuple[str, str, str], str], str]:
    """Message-IDs of messages logged as ``sending`` with no outcome after, by
    ((address, report, scope), fingerprint)."""
    open_ids = {}
    for record in records:
        if record.get("status") == "sending":
            open_ids[record["message_id"]] = record
        elif record.get("message_id"):
            open_ids.pop(record["message_id"], None)
    return {
        (((r["to"] or "").lower(), x["report"], x["scope"]), x["fingerprint"]): mid
        for mid, r in open_ids.items()
        for x in r["reports"]
    }


def _undeliverable(parcel: Parcel, entries: Mapping[tuple[str, str], Any]) -> dict[str, Any]:
    entry = entries[(parcel.report, parcel.scope)]
    return {
        "to": parcel.to,
        "name": parcel.name,
        "person": parcel.person,
        "reports": [
            {"report": parcel.report, "scope": parcel.scope, "fingerprint": entry["fingerprint"]}
        ],
        "status": "undeliverable",
        "error": parcel.problem,
        "time": manifest.now(),
    }


def _not_ready(entry: Mapping[str, Any], config: DeliveryConfig, folder: Path) -> str | None:
    """Why a report cannot be sent yet (it failed, the file is missing, or it is not in
    its scope's own folder); None if it can.

    A scope's folder is a function of the scope alone (:attr:`salesops.data.scopes.Scope.slug`,
    never shared), so a file outside it may be another scope's report: a manifest written
    when two scopes shared a folder, or edited by hand. It is refused, not sent to the
    wrong reader.
    """
    if entry.get("status") == "failed":
        error = entry.get("error") or {}
        return f"the report failed (cell {error.get('cell')}: {error.get('message')})"
    needed = "pdf" if config.attach == "pdf" else "html"
    path = entry.get("outputs", {}).get(needed)
    if not path or not Path(path).exists():
        return f"no {needed.upper()} of the report: add {needed} to the plan's formats and run"
    own = folder / Scope.parse(entry["scope"]).slug
    if Path(path).resolve().parent != own.resolve():
        return (
            f"its {needed.upper()} {path} is not in the folder of {entry['scope']} "
            f"({own.name}/), so it may be another scope's report: run the report again"
        )
    return None


def _people(source: str | None) -> dict[str, Person]:
    """Everyone in the source's ``reps`` table, with their email addresses."""
    from salesops.data.sources import open_source
    from salesops.data.validation import coerce

    with open_source(source) as src:
        frame = src.read("reps")
        assert frame is not None  # reps is a required table
        return people(coerce("reps", frame)[0])


def _source_of(entries: Mapping[tuple[str, str], Mapping[str, Any]]) -> str | None:
    """The source the period's reports were made from."""
    for entry in entries.values():
        source = entry.get("parameters", {}).get("source")
        if source:
            return str(source)
    return None


def _as_of(entries: Mapping[tuple[str, str], Mapping[str, Any]]) -> str:
    for entry in entries.values():
        summary = entry.get("outputs", {}).get("summary")
        if summary and Path(summary).exists():
            as_of = letters.read_summary(Path(summary)).get("as_of")
            if as_of:
                return f"{date.fromisoformat(as_of):%-d %B %Y}"
    return "the period's end"


def _clear(outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    for old in outbox.glob("*.eml"):
        old.unlink()
    return outbox
