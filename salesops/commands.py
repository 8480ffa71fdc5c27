"""What each ``salesops`` command does, given its parsed arguments (:mod:`salesops.cli`
parses them). Each returns the exit code; errors that are the data's or the
configuration's fault are raised as :class:`~salesops.errors.SalesopsError` for the CLI to
print."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping

from salesops.errors import ConfigError
from salesops.words import plural


def demo(args: argparse.Namespace) -> int:
    """`salesops demo`: write the demo database."""
    from salesops import config, demo

    path = args.path or config.default_database()
    if args.if_missing and path.exists():
        print(f"demo database already at {path}")
        return 0
    wanted = demo.DemoConfig(
        reps=args.reps,
        opportunities=args.opportunities,
        years=args.years,
        as_of=args.as_of,
        seed=args.seed,
    )
    if wanted.reps < 1 or wanted.opportunities < 1 or wanted.years < 1:
        raise ConfigError("--reps, --opportunities and --years must be at least 1")
    start = time.perf_counter()
    counts = demo.generate(path, wanted)
    rows = ", ".join(f"{table} {n:,}" for table, n in counts.items())
    print(f"wrote {path} in {time.perf_counter() - start:.1f} s: {rows}")
    return 0


def validate(args: argparse.Namespace) -> int:
    """`salesops validate`: check a source and say what it lacks."""
    from salesops import config
    from salesops.data import quarantine
    from salesops.data.amounts import unpriced_lost
    from salesops.data.coverage import homeless_reps, no_lost_deal, unpriced_open, warnings
    from salesops.data.model import LOST_DEALS
    from salesops.data.periods import Period, in_calendar
    from salesops.data.sources import open_source
    from salesops.data.validation import variant_warnings

    fiscal = config.settings().fiscal_year_start_month
    with open_source(args.source) as src:
        period = None if args.period is None else in_calendar(args.period, fiscal)
        tables = src.load(args.scope, period, on_invalid=args.on_invalid)
        rows = sum(len(frame) for frame in tables.present().values())
        aside = sum(len(frame) for frame in tables.set_aside.values())
        passed = (
            "all rules pass" if not aside else f"all rules pass on the rest; {aside:,} set aside"
        )
        print(f"{src.spec.label}: {len(tables.present())} tables, {rows:,} rows, {passed}")
        if args.on_invalid == "quarantine":
            label = Period.parse(period or "latest", as_of=src.as_of()).label
            out = args.out if args.out is not None else config.root() / "reports"
            folder = out / label / "quarantine"
            written = quarantine.write(tables, folder)
            for path in written:
                count = len(tables.set_aside[path.stem])
                print(f"  set aside {plural(count, 'row')} of {path.stem} -> {path}")
        for column, (count, rules) in tables.filled.items():
            print(f"  filled {count:,} missing {column}: {rules}")
        lost = no_lost_deal(tables)  # said once, with what to map, in place of the line
        for warning in warnings(tables.absent - {LOST_DEALS} if lost else tables.absent):
            print(f"  {warning}")
        if lost is not None:
            print(f"  warning: {lost}")
        for said in (unpriced_open(tables), unpriced_lost(tables), homeless_reps(tables)):
            if said is not None:
                print(f"  warning: {said}")
        for note in src.formats.notes():
            print(f"  note: {note}")
        for note in src.file_notes():
            print(f"  {note}")
        for warning in variant_warnings(src.variants()):
            print(f"  warning: {warning}")
        late = src.late_closes()
        if late is not None:
            print(f"  warning: {late}")
    return 0


def map(args: argparse.Namespace) -> int:
    """`salesops map`: propose a source file for an export."""
    from salesops.data.proposal import propose
    from salesops.storage import write_atomic

    export = args.export
    if not export.exists():
        raise ConfigError(f"export not found: {export}")
    out = args.out or (export if export.is_dir() else export.parent) / "source.yml"
    if out.exists() and not args.force:
        raise ConfigError(f"{out} exists; pass --force to overwrite it, or --out elsewhere")
    location = os.path.relpath(export.resolve(), out.resolve().parent)  # as the file reads it
    proposal = propose(export, location)
    write_atomic(out, proposal.text.encode())
    print("\n".join(proposal.summary()))
    print(f"wrote {out}: edit it, then run `salesops validate --source {out}`")
    return 0


def summary(args: argparse.Namespace) -> int:
    """`salesops summary`: what a source holds."""
    from salesops.data.describe import describe
    from salesops.data.sources import open_source

    with open_source(args.source) as src:
        tables = src.load(on_invalid=args.on_invalid)
        print(describe(src.spec.label, tables, src.as_of()))
    return 0


def run(args: argparse.Namespace) -> int:
    """`salesops run`: run a plan, with a progress bar, then deliver with --deliver."""
    from salesops import config
    from salesops.batch import pool, runner
    from salesops.batch.plan import BatchPlan, check_formats

    plan = BatchPlan.read(args.plan)
    formats = tuple(check_formats(args.formats, "--formats")) if args.formats else None
    out = (args.out or config.root() / "reports").resolve()
    if args.deliver:  # say what is missing before the run, not after it
        from salesops.delivery.smtp import SMTPSettings

        if plan.delivery is None:
            raise ConfigError(f"{args.plan}: --deliver needs a 'delivery' section in the plan")
        SMTPSettings.load()
    bar = None  # drawn at the first report's end: a run refused before it draws none
    failed = 0

    def progress(result: runner.Result, done: int, total: int) -> None:
        nonlocal bar, failed
        failed += result.status == "failed"
        if bar is None and not args.quiet:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="report", dynamic_ncols=True)
        if bar is not None:
            bar.total = total
            bar.set_postfix_str(f"failed {failed}, remaining {total - done}")
            bar.update(1)

    try:
        with pool.sigterm_stops():  # the workers, kernels and browsers end with the run
            options = runner.RunOptions(
                period=args.period,
                source=args.source,
                only=args.only,
                formats=formats,
                on_invalid=args.on_invalid,
                force=args.force,
                workers=args.workers,
                cluster=args.cluster,
                timeout=args.timeout,
                retries=args.retries,
                fresh_kernels=args.fresh_kernels,
                wait=not args.no_wait,
            )
            label, results = runner.run(
                plan,
                out,
                options,
                progress=progress,
                notify=lambda message: print(f"salesops: {message}", file=sys.stderr, flush=True),
            )
    finally:
        if bar is not None:
            bar.close()
    counts = runner.counts(results)
    print(
        f"{label}: {counts['done']} done, {counts['skipped']} unchanged, {counts['failed']} failed "
        f"-> {out / label / 'index.html'}"
    )
    reasons = Counter(r.reason for r in results if r.status != "skipped")
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        print(f"  ran {count}: {reason}")
    for r in results:
        if r.status == "failed":
            error: Mapping[str, object] = r.error or {}
            print(
                f"  FAILED {r.report} {r.scope}: cell {error.get('cell')}: {error.get('message')}",
                file=sys.stderr,
            )
    failed = 1 if counts["failed"] else 0
    if args.deliver:  # the reports this run made or kept, to their readers
        args.period, args.dry_run, args.smtp = label, False, None
        return max(failed, deliver(args))
    return failed


def deliver(args: argparse.Namespace) -> int:
    """`salesops deliver`: email the period's reports."""
    from salesops import config
    from salesops.batch.plan import BatchPlan
    from salesops.delivery.sending import LOG, deliver
    from salesops.delivery.smtp import SMTPSettings

    plan = BatchPlan.read(args.plan)
    out = (args.out or config.root() / "reports").resolve()
    smtp = None if args.dry_run else SMTPSettings.load(args.smtp)
    if args.period == "latest":  # as `salesops run --period latest` names it
        from salesops.data.periods import Period
        from salesops.data.sources import open_source

        with open_source(args.source or plan.source) as src:
            args.period = Period.parse("latest", as_of=src.as_of()).label  # a month's label
    outcome = deliver(
        plan,
        out,
        args.period,
        source=args.source,
        dry_run=args.dry_run,
        only=args.only,
        smtp=smtp,
        notify=lambda message: print(f"salesops: {message}", file=sys.stderr, flush=True),
    )
    where = outcome.outbox if args.dry_run else out / args.period / LOG
    for line, error in outcome.lines(where):
        print(line, file=sys.stderr if error else sys.stdout)
    return 0 if outcome.ok else 1


def serve(args: argparse.Namespace) -> int:
    """`salesops serve`: the dashboard on Voila."""
    from salesops.server import serve

    return serve(args.port, args.scope, args.token, args.source)
