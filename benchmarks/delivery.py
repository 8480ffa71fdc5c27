"""Messages per second: the demo plan's deliveries through a real local SMTP server.

Takes the period's reports that ``make report`` left in ``reports/`` (or runs the monthly
plan into a temporary folder when there are none), copies them into a temporary folder
and delivers them, side by side in one process:

1. ``outbox``: every message composed and written as ``.eml`` (``--dry-run``);
2. ``smtp``: every message sent to an aiosmtpd server on localhost, one connection;
3. ``unchanged``: a second delivery, which sends nothing.

Each is repeated ``--repeat`` times (the delivery log is removed in between) and the
median is printed, with messages per second and the ratios between them.

Usage: ``python benchmarks/delivery.py [--plan parameters/monthly.yml] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from salesops import config
from salesops.batch import manifest, runner
from salesops.batch.plan import BatchPlan
from salesops.delivery.sending import LOG, deliver
from salesops.delivery.smtp import SMTPSettings


class Count:
    """An SMTP handler that counts what it accepts."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.received += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reports(plan: BatchPlan, folder: Path) -> str:
    """Copy (or make) the plan's latest period into ``folder``; return the period."""
    made = config.root() / "reports"
    periods = sorted(p for p in made.glob("*/manifest.json")) if made.exists() else []
    if periods:
        source = periods[-1].parent
        shutil.copytree(source, folder / source.name, ignore=shutil.ignore_patterns(LOG, "outbox"))
        return source.name
    label, results = runner.run(plan, folder)
    assert all(r.status == "done" for r in results)
    return label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", default="parameters/monthly.yml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    plan = BatchPlan.read(args.plan)
    handler = Count()
    server = Controller(handler, hostname="127.0.0.1", port=free_port())
    server.start()
    settings = SMTPSettings(host="127.0.0.1", port=server.port, security="none", retry_wait=0)
    times: dict[str, list[float]] = {"outbox": [], "smtp": [], "unchanged": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            period = reports(plan, out)
            log = out / period / LOG
            for _ in range(args.repeat):
                for phase, dry in (("outbox", True), ("smtp", False), ("unchanged", False)):
                    if phase != "unchanged":
                        log.unlink(missing_ok=True)
                    start = time.perf_counter()
                    outcome = deliver(plan, out, period, dry_run=dry, smtp=settings)
                    times[phase].append(time.perf_counter() - start)
                    assert outcome.ok, outcome.failed
                    if phase != "unchanged":
                        messages = len(outcome.sent)
                        attachments = sum(len(m["reports"]) for m in outcome.sent)
            sent = [r for r in manifest.read_lines(log) if r["status"] == "sent"]
            assert len(sent) == messages and handler.received == messages * args.repeat
    finally:
        server.stop()
    median = {phase: statistics.median(values) for phase, values in times.items()}
    print(f"period {period}: {messages} messages, {attachments} reports, median of {args.repeat}")
    print(f"{'phase':<12}{'seconds':>10}{'messages/s':>14}")
    for phase, seconds in median.items():
        rate = f"{messages / seconds:,.0f}" if phase != "unchanged" else "-"
        print(f"{phase:<12}{seconds:>10.3f}{rate:>14}")
    print(f"smtp / outbox: {median['smtp'] / median['outbox']:.2f}x")
    print(f"unchanged / smtp: {median['unchanged'] / median['smtp']:.1%}")


if __name__ == "__main__":
    main()
