"""The ``salesops`` command line.

Every failure that is the data's or the configuration's fault is printed as a plain
message and exits non-zero; tracebacks are for bugs.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO, cast

from salesops import commands
from salesops.credentials import redact
from salesops.errors import DataError, SalesopsError
from salesops.markup import terminal

SOURCE_HELP = (
    "where the data is: a DuckDB file, a folder of CSV/Parquet/Excel exports, a SQLAlchemy "
    "URL (postgresql://user@host/db) or a source file under parameters/sources/ "
    "(default: the demo database data/salesops.duckdb)"
)


DEFAULTS_HINT = (
    "An empty value the export does not know can be filled by a rule you choose: "
    "`defaults:` under the table in the source file (docs/sources.md, 'Source files'), "
    "which every report then counts as filled."
)
QUARANTINE_HINT = (
    "Fix these rows in the export, or run again with --on-invalid quarantine to set them "
    "aside with their reasons (reports/<period>/quarantine/) and go on with the rest."
)
ON_INVALID: dict[str, Any] = {
    "choices": ["refuse", "quarantine"],
    "default": "refuse",
    "help": "what bad rows do: refuse (default) the whole source with every broken rule "
    "listed, or quarantine: set them aside with their reasons in "
    "reports/<period>/quarantine/<table>.csv and go on with the rest",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salesops",
        description="Reporting workbooks for sales operations: demo data, validation and reports.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="write the synthetic demo CRM database",
        description="Write a deterministic synthetic CRM (reps, deals with stage history, "
        "leads, activities, quotas, forecasts) into a DuckDB file.",
    )
    from salesops.demo import DemoConfig

    d = DemoConfig()
    demo.add_argument("--path", type=Path, help="database file (default: data/salesops.duckdb)")
    demo.add_argument("--reps", type=int, default=d.reps, help=f"selling seats (default {d.reps})")
    demo.add_argument(
        "--opportunities",
        type=int,
        default=d.opportunities,
        help=f"about how many deals to create (default {d.opportunities:,})",
    )
    demo.add_argument(
        "--years", type=int, default=d.years, help=f"years of history (default {d.years})"
    )
    demo.add_argument("--as-of", default=d.as_of, help=f"last day of the data (default {d.as_of})")
    demo.add_argument("--seed", type=int, default=d.seed, help=f"random seed (default {d.seed})")
    demo.add_argument(
        "--if-missing", action="store_true", help="do nothing when the database already exists"
    )

    validate = sub.add_parser(
        "validate",
        help="check a source against the data model",
        description="Check every table against its contract and the rules that span tables. "
        "Exits 1 and lists every broken rule (table, column, rule, rows, example ids) on bad data.",
    )
    validate.add_argument("--source", help=SOURCE_HELP)
    validate.add_argument(
        "--scope", default="company", help="company, region:<name> or rep:<id> (default company)"
    )
    validate.add_argument(
        "--period", help="only data known at the end of this period, e.g. 2026-10"
    )
    validate.add_argument("--on-invalid", **ON_INVALID)
    validate.add_argument(
        "--out",
        type=Path,
        help="with --on-invalid quarantine: the folder that gets <period>/quarantine/ "
        "(default: reports/)",
    )

    run = sub.add_parser(
        "run",
        help="run a report plan: every notebook for every scope, rendered",
        description="Execute a plan's notebooks per scope in parallel with papermill, render "
        "them, and write reports/<period>/ with an index page and a manifest. Reports whose "
        "inputs did not change since the last run are skipped. One run at a time per output "
        "folder. Exits 1 if any report failed, 75 under --no-wait when another run is going.",
    )
    run.add_argument("plan", type=Path, help="the plan file, e.g. parameters/monthly.yml")
    run.add_argument("--period", help="period to report on (default: the plan's, usually latest)")
    run.add_argument(
        "--source", help=SOURCE_HELP.replace("(default: ", "(default: the plan's, else ")
    )
    run.add_argument("--workers", type=int, help="parallel notebooks (default: number of cores)")
    run.add_argument(
        "--only",
        help="run only the reports matching a pattern (comma-separated): metrics, metrics:region:*",
    )
    run.add_argument("--formats", help="comma-separated: html, pdf, ipynb (default: the plan's)")
    run.add_argument("--force", action="store_true", help="re-run reports even if nothing changed")
    run.add_argument(
        "--timeout", type=float, help="seconds one notebook cell may take (default: no limit)"
    )
    run.add_argument(
        "--retries", type=int, default=1, help="retries when a kernel fails to start (default 1)"
    )
    run.add_argument("--out", type=Path, help="output folder (default: reports/)")
    run.add_argument(
        "--cluster",
        help="address of a running Dask scheduler (tcp://host:8786) to run the reports on; "
        "the output folder must be shared with its workers",
    )
    run.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="a new kernel for every report, instead of one per worker that is reset between "
        "reports (slower; for notebooks that patch modules)",
    )
    run.add_argument("--on-invalid", **ON_INVALID)
    run.add_argument("--quiet", action="store_true", help="no progress bar (for cron)")
    run.add_argument(
        "--no-wait",
        action="store_true",
        help="exit 75 at once if another run is using the output folder, instead of waiting",
    )

    run.add_argument(
        "--deliver",
        action="store_true",
        help="then email the reports to their recipients (see `salesops deliver`)",
    )

    deliver = sub.add_parser(
        "deliver",
        help="email each rep and manager their own reports of a period",
        description="Send the period's reports to the recipients the plan's delivery section "
        "names, resolved from the data (reps.email): one message per recipient with the PDFs "
        "attached or linked. Each report is sent once per fingerprint, recorded in "
        "reports/<period>/deliveries.jsonl; a changed report is sent again, marked updated. "
        "SMTP settings come from SALESOPS_SMTP_* variables or --smtp. Exits 1 if a message "
        "failed or a report could not be sent.",
    )
    deliver.add_argument("period", help="the period folder under reports/, e.g. 2026-10, or latest")
    deliver.add_argument(
        "--plan",
        type=Path,
        default=Path("parameters/monthly.yml"),
        help="the plan with the delivery section (default parameters/monthly.yml)",
    )
    deliver.add_argument(
        "--dry-run",
        action="store_true",
        help="write each message to reports/<period>/outbox/*.eml instead of sending it",
    )
    deliver.add_argument(
        "--only",
        help="only these (comma-separated patterns): a report, report:scope, scope, "
        "address or person id, e.g. performance_review:rep:R00001",
    )
    deliver.add_argument("--out", type=Path, help="output folder (default: reports/)")
    deliver.add_argument(
        "--source", help=SOURCE_HELP.replace("(default: ", "(default: the run's, else ")
    )
    deliver.add_argument(
        "--smtp", type=Path, help="an SMTP settings file (YAML; see docs/delivery.md)"
    )

    serve = sub.add_parser(
        "serve",
        help="serve the manager dashboard (Voila) on this machine",
        description="Serve notebooks/dashboard.ipynb with Voila on 127.0.0.1: no code, no "
        "tracebacks, a pre-heated kernel, idle kernels culled. --scope locks it to one region, "
        "enforced in the kernels: other regions' data is never loaded.",
    )
    serve.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    serve.add_argument("--scope", help="lock the dashboard to region:<name>")
    serve.add_argument(
        "--token",
        help="require this token (?token=...) to open the page (default: $SALESOPS_TOKEN); "
        "Voila gets it in its environment, never on its command line",
    )
    serve.add_argument("--source", help=SOURCE_HELP)

    mapper = sub.add_parser(
        "map",
        help="propose a first source file for a CRM export",
        description="Read an export folder (or one workbook), match its tables and columns "
        "against the usual names of Salesforce, HubSpot, Pipedrive, Zoho and spreadsheets, "
        "list every canonical column as mapped or missing and every stage value, and write "
        "a source file to edit.",
    )
    mapper.add_argument("export", type=Path, help="the export folder or workbook")
    mapper.add_argument(
        "--out", type=Path, help="the source file to write (default: EXPORT/source.yml)"
    )
    mapper.add_argument("--force", action="store_true", help="overwrite an existing file")

    summary = sub.add_parser(
        "summary",
        help="print what a source holds",
        description="Print tables, row counts, date range, regions and reps of a source.",
    )
    summary.add_argument("--source", help=SOURCE_HELP)
    summary.add_argument("--on-invalid", **ON_INVALID)
    return parser


class Printed:
    """A text stream (standard output or error) that writes what a command prints with
    each control character named but a line break, a tab and a carriage return
    (:func:`salesops.markup.terminal`): a CRM value never acts on the terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal(text, keep="\n\t\r"))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding ...
        return getattr(self.stream, name)


@contextlib.contextmanager
def printed() -> Iterator[None]:
    """Standard output and error as :class:`Printed` streams, for a command's run."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = cast(TextIO, Printed(out)), cast(TextIO, Printed(err))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``salesops`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    with printed():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    command = getattr(commands, args.command)
    try:
        return command(args)
    except DataError as exc:
        print(redact(exc.report()), file=sys.stderr)
        if any(f.rule == "must not be empty" for f in exc.failures):
            print(DEFAULTS_HINT, file=sys.stderr)
        # Rows can be set aside; a broken file or a missing column cannot.
        if getattr(args, "on_invalid", None) == "refuse" and any(f.count for f in exc.failures):
            print(QUARANTINE_HINT, file=sys.stderr)
        return 1
    except SalesopsError as exc:
        print(f"salesops: {redact(str(exc))}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)


if __name__ == "__main__":
    sys.exit(main())
