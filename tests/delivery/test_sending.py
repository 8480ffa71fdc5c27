"""Delivery: every rep and manager receives their own reports, exactly once, through a real
SMTP server (aiosmtpd on a free localhost port)."""

from __future__ import annotations

import asyncio
import email
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from datetime import date
from email import policy
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
import yaml
from aiosmtpd.controller import Controller
from conftest import TINY, free_port
from pypdf import PdfReader

from salesops import cli
from salesops.batch import runner
from salesops.batch.plan import BatchPlan
from salesops.batch.runner import RunOptions
from salesops.delivery.sending import LOG, deliver
from salesops.delivery.smtp import SMTPSettings

TODAY = date(2026, 10, 5)  # a few days after the tiny CRM's period, 2026-09
DELIVERY = {
    "sender": "Sales Operations <sales-ops@example.com>",
    "reps": ["performance_review"],
    "managers": ["team_review"],
    "addresses": [{"to": "vp@example.com", "name": "The VP", "reports": ["metrics:company"]}],
}


class Mailbox:
    """What a real SMTP server received, and how it misbehaves when asked to."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.drop = 0  # drop the connection at this many DATA commands
        self.hold_at: int | None = None  # hold the n-th RCPT until released
        self.held, self.release = threading.Event(), threading.Event()
        self.rcpts = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd)
        self.rcpts += 1
        if self.rcpts == self.hold_at:
            self.held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
        if self.drop:
            self.drop -= 1
            server.transport.close()
            return "421 closing"
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self) -> list[str]:
        return sorted(str(m["To"].addresses[0].addr_spec) for m in self.messages)


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.settings = SMTPSettings(
        host="127.0.0.1", port=controller.port, security="none", retries=1, retry_wait=0
    )
    yield box
    box.release.set()
    controller.stop()


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """The tiny CRM's reports for 2026-09, made once by the runner: metrics for the
    company, team reviews for East and West, performance reviews for R1, R3 and R4."""
    base = tmp_path_factory.mktemp("delivery")
    shutil.copytree(TINY, base / "crm")
    plan = {
        "period": "2026-09",
        "formats": ["html", "pdf"],
        "reports": [
            {"notebook": "metrics", "scopes": ["company"]},
            {"notebook": "team_review", "scopes": ["region:*"]},
            {"notebook": "performance_review", "scopes": ["rep:*"], "reads": "region"},
        ],
        "delivery": DELIVERY,
    }
    (base / "plan.yml").write_text(yaml.safe_dump(plan))
    _, results = runner.run(
        BatchPlan.read(base / "plan.yml"),
        base / "reports",
        RunOptions(source=str(base / "crm"), workers=2),
    )
    assert {r.status for r in results} == {"done"}, [r.error for r in results]
    return base


@pytest.fixture
def home(made, tmp_path) -> Path:
    """A copy of the made reports that a test may deliver, change and re-run."""
    return Path(shutil.copytree(made, tmp_path / "home"))


def send(home: Path, box: Mailbox, **options):
    plan = BatchPlan.read(home / "plan.yml")
    source = str(home / "crm")
    return deliver(
        plan, home / "reports", "2026-09", source=source, smtp=box.settings, today=TODAY, **options
    )


def pdf_text(part) -> str:
    """The attachment's text, runs of spaces as one (printers space words differently)."""
    pages = PdfReader(BytesIO(part.get_content())).pages
    return re.sub(r"[ \t]+", " ", "\n".join(page.extract_text() for page in pages))


@pytest.mark.notebook
def test_each_recipient_receives_their_own_reports_once(home, mailbox):
    outcome = send(home, mailbox)
    assert outcome.ok
    assert mailbox.to() == [
        "alice.able@example.com",
        "cara.cole@example.com",
        "maria.manager@example.com",
        "vp@example.com",
    ]
    by_to = {m["To"].addresses[0].addr_spec: m for m in mailbox.messages}
    alice = by_to["alice.able@example.com"]
    assert alice["Subject"] == "Performance review, September 2026"
    assert alice["From"] == "Sales Operations <sales-ops@example.com>"
    body = alice.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith("Hello Alice,")
    # her September, as in her review: nothing booked, and the clawback of tests/batch/test_jobs.py
    assert "  Bookings this month: $0\n  Quota attainment this month: 0%\n" in body
    assert "  Commission payable: -$200\n" in body
    [attachment] = alice.iter_attachments()
    assert attachment.get_filename() == "Performance review - Alice Able - 2026-09.pdf"
    assert "Scope: rep:R1 Period: 2026-09" in pdf_text(attachment)
    # the manager leads East (her home) and West (where two of her reps are): one message
    maria = by_to["maria.manager@example.com"]
    assert maria["Subject"] == "2 sales reports, September 2026"
    scopes = sorted(re.search(r"Scope: (\S+)", pdf_text(a))[1] for a in maria.iter_attachments())
    assert scopes == ["region:East", "region:West"]
    assert "Team review, West" in maria.get_body(("plain",)).get_content()
    [metrics] = by_to["vp@example.com"].iter_attachments()
    assert "Scope: company" in pdf_text(metrics)
    # Dan has no address: listed, never silently skipped
    assert [(p.person, p.problem) for p in outcome.undeliverable] == [
        ("R4", "no email address in reps")
    ]
    log = [json.loads(line) for line in (home / "reports" / "2026-09" / LOG).open()]
    assert [r["status"] for r in log].count("sent") == 4
    assert {r["status"] for r in log} == {"sending", "sent", "undeliverable"}
    sent = [r for r in log if r["status"] == "sent"]
    assert all(r["message_id"] and r["time"] and r["reports"][0]["fingerprint"] for r in sent)


@pytest.mark.notebook
def test_a_second_delivery_sends_nothing_and_a_changed_report_goes_once_marked_updated(
    home, mailbox
):
    assert len(send(home, mailbox).sent) == 4
    again = send(home, mailbox)
    assert again.sent == [] and again.unchanged == 5 and len(mailbox.messages) == 4
    # a real change: Alice's deal grows, and her review is made again with new numbers
    crm, plan = home / "crm", BatchPlan.read(home / "plan.yml")
    deals = (crm / "opportunities.csv").read_text()
    (crm / "opportunities.csv").write_text(deals.replace("Closed Won,10000,", "Closed Won,11000,"))
    _, results = runner.run(
        plan,
        home / "reports",
        RunOptions(source=str(crm), only="performance_review:rep:R1", workers=1),
    )
    [result] = results
    assert result.status == "done" and "data" in result.reason, result.reason
    updated = send(home, mailbox)
    assert [m["to"] for m in updated.sent] == ["alice.able@example.com"]
    assert mailbox.messages[-1]["Subject"] == "Updated: Performance review, September 2026"
    assert "(updated)" in mailbox.messages[-1].get_body(("plain",)).get_content()
    assert send(home, mailbox).sent == [] and len(mailbox.messages) == 5


@pytest.mark.notebook
def test_a_refused_recipient_fails_the_delivery_and_is_sent_on_the_next_run(home, mailbox):
    mailbox.refuse = {"cara.cole@example.com"}
    outcome = send(home, mailbox)
    assert not outcome.ok
    [failed] = outcome.failed
    assert failed["to"] == "cara.cole@example.com" and "550" in failed["error"]
    assert failed["attempts"] == 1  # a permanent refusal is not retried
    assert "cara.cole@example.com" not in mailbox.to() and len(mailbox.messages) == 3
    mailbox.refuse = set()
    retry = send(home, mailbox)
    assert retry.ok and [m["to"] for m in retry.sent] == ["cara.cole@example.com"]


@pytest.mark.notebook
def test_a_dropped_connection_is_retried_on_a_new_one(home, mailbox):
    mailbox.drop = 1
    outcome = send(home, mailbox)
    assert outcome.ok and len(mailbox.messages) == 4
    assert sorted(m["attempts"] for m in outcome.sent) == [1, 1, 1, 2]
    mailbox.drop = 100  # a server that drops every message: each fails after its retry
    (home / "reports" / "2026-09" / LOG).unlink()
    failing = send(home, mailbox)
    assert len(failing.failed) == 4 and not failing.ok
    assert all("disconnected" in m["error"].lower() for m in failing.failed)


@pytest.mark.notebook
def test_a_delivery_killed_mid_way_resumes_without_duplicates(home, mailbox, monkeypatch):
    """SIGKILL while the server holds the second message's RCPT: the first message is
    logged as sent, the second as sending. The next run sends every other message once,
    and the second with the Message-ID the killed run gave it."""
    mailbox.hold_at = 2
    env = {
        **os.environ,
        "SALESOPS_SMTP_HOST": "127.0.0.1",
        "SALESOPS_SMTP_PORT": str(mailbox.settings.port),
        "SALESOPS_SMTP_SECURITY": "none",
    }
    args = [sys.executable, "-m", "salesops.cli", "deliver", "2026-09"]
    args += ["--plan", str(home / "plan.yml"), "--out", str(home / "reports")]
    args += ["--source", str(home / "crm")]
    proc = subprocess.Popen(args, env=env, start_new_session=True)
    assert mailbox.held.wait(120)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    mailbox.release.set()
    log = [json.loads(line) for line in (home / "reports" / "2026-09" / LOG).open()]
    assert [r["status"] for r in log] == ["sending", "sent", "sending"]
    interrupted = log[-1]["message_id"]
    mailbox.hold_at = None
    resumed = send(home, mailbox)
    assert resumed.ok and len(resumed.sent) == 3
    assert sorted(mailbox.to()) == sorted(set(mailbox.to())) and len(mailbox.messages) == 4
    assert interrupted in {m["Message-ID"] for m in mailbox.messages}


@pytest.mark.notebook
def test_leavers_receive_nothing_and_are_listed(home, mailbox):
    reps = home / "crm" / "reps.csv"  # the CRM now says Cara left, after the period
    reps.write_text(reps.read_text().replace("2022-01-01,\n", "2022-01-01,2026-10-02\n"))
    outcome = send(home, mailbox)
    assert "cara.cole@example.com" not in mailbox.to()
    assert [(p.person, p.left) for p in outcome.left] == [("R3", "2026-10-02")]


@pytest.mark.notebook
def test_a_dry_run_writes_the_messages_and_records_nothing(home, capsys):
    code = cli.main(
        [
            "deliver",
            "2026-09",
            "--plan",
            str(home / "plan.yml"),
            "--out",
            str(home / "reports"),
            "--dry-run",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    outbox = home / "reports" / "2026-09" / "outbox"
    files = sorted(p.name for p in outbox.iterdir())
    assert len(files) == 4 and files[0] == "0001-vp@example.com.eml"
    assert "4 messages written" in out and "undeliverable: performance_review rep:R4" in out
    assert not (home / "reports" / "2026-09" / LOG).exists()
    # latest is as for `salesops run`: the last whole month of a CRM that runs to 2026-10-10
    latest = ["deliver", "latest", "--plan", str(home / "plan.yml"), "--dry-run"]
    latest += ["--out", str(home / "reports"), "--source", str(home / "crm")]
    assert cli.main(latest) == 0
    assert capsys.readouterr().out.startswith("2026-09: 4 messages written")


@pytest.mark.notebook
def test_no_demo_rep_ever_receives_another_reps_review(demo_db, demo_monthly, tmp_path, mailbox):
    """Every rep of the demo, and every manager with copies of their reps' reviews: each
    attachment's scope is the recipient's own (or a region they lead, or one of their
    reps), and no message or attachment names or numbers anyone else. The reports are
    the demo's monthly run (``make report``'s), delivered with copies to the managers."""
    reports = tmp_path / "reports"
    shutil.copytree(demo_monthly, reports / demo_monthly.name)
    plan_file = tmp_path / "plan.yml"
    monthly = yaml.safe_load(Path("parameters/monthly.yml").read_text())
    delivery = {**DELIVERY, "addresses": [], "copy_managers": True}
    plan_file.write_text(yaml.safe_dump({**monthly, "delivery": delivery}))
    plan = BatchPlan.read(plan_file)
    outcome = deliver(plan, reports, demo_monthly.name, smtp=mailbox.settings)
    assert outcome.ok and outcome.undeliverable == [] and outcome.not_ready == []
    import duckdb

    with duckdb.connect(str(demo_db), read_only=True) as con:
        reps = con.sql("SELECT rep_id, name, email, region, manager_id, end_date FROM reps").df()
    person = {row.email: row for row in reps.itertuples()}
    entries = json.loads((demo_monthly / "manifest.json").read_text())["reports"]
    reviews = [e for e in entries if e["report"] == "performance_review"]
    rep_messages = 0
    for message in mailbox.messages:
        me = person[message["To"].addresses[0].addr_spec]
        allowed = {f"rep:{me.rep_id}"}
        if me.rep_id.startswith("M"):  # a manager: their regions and their reps
            mine = reps[(reps["manager_id"] == me.rep_id) & reps["end_date"].isna()]
            allowed = {f"region:{r}" for r in {*mine["region"], me.region}}
            allowed |= {f"rep:{r}" for r in mine["rep_id"]}
        else:
            rep_messages += 1
        seen = [message.get_body(("plain",)).get_content(), message["Subject"]]
        for attachment in message.iter_attachments():
            text = pdf_text(attachment)
            scope = re.search(r"Scope: (\S+)", text)[1]
            assert scope in allowed, (me.name, scope)
            seen.append(text)
        others = reps[~reps["rep_id"].isin([s.split(":")[1] for s in allowed] + [me.rep_id])]
        if not me.rep_id.startswith("M"):
            for text in seen:
                for other in others.itertuples():
                    assert not re.search(rf"\b{re.escape(other.name)}\b", text), (
                        me.name,
                        other.name,
                    )
                    assert other.rep_id not in text, (me.name, other.rep_id)
    assert rep_messages == len(reviews) > 30  # every rep with a review received it


@pytest.mark.notebook
def test_run_deliver_runs_then_sends_and_says_so(made, home, mailbox, monkeypatch, capsys):
    monkeypatch.setenv("SALESOPS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SALESOPS_SMTP_PORT", str(mailbox.settings.port))
    monkeypatch.setenv("SALESOPS_SMTP_SECURITY", "none")
    args = ["run", str(home / "plan.yml"), "--source", str(made / "crm")]
    args += ["--out", str(home / "reports"), "--quiet", "--deliver"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "0 done, 6 unchanged, 0 failed" in out  # made by the fixture's run
    assert "4 messages sent (0 updated), 0 reports already delivered, 0 failed" in out
    assert "undeliverable: performance_review rep:R4 to Dan Dune: no email address" in out
    assert len(mailbox.messages) == 4
    monkeypatch.delenv("SALESOPS_SMTP_HOST")  # no server configured: refused before running
    assert cli.main(args) == 2
    assert "set SALESOPS_SMTP_HOST" in capsys.readouterr().err


@pytest.mark.notebook
def test_links_instead_of_attachments(home, mailbox):
    plan = yaml.safe_load((home / "plan.yml").read_text())
    plan["delivery"] |= {"attach": "link", "base_url": "https://reports.example.com/sales/"}
    (home / "plan.yml").write_text(yaml.safe_dump(plan))
    assert send(home, mailbox, only="alice.able@example.com").ok
    [message] = mailbox.messages
    assert list(message.iter_attachments()) == []
    link = "https://reports.example.com/sales/2026-09/rep-R1/performance_review.html"
    assert f"  Open it: {link}\n" in message.get_body(("plain",)).get_content().replace("\r", "")
    assert (home / "reports" / link.split("/sales/")[1]).is_file()


# -- hostile values in recipients and manifests (issue 29) ----------------------------------


def set_rep(home: Path, rep: str, column: str, value: str) -> None:
    """Change one cell of the CRM's ``reps`` table."""
    path = home / "crm" / "reps.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame["rep_id"] == rep, column] = value
    frame.to_csv(path, index=False)


@pytest.mark.notebook
def test_one_bad_recipient_is_undeliverable_and_everyone_else_receives_theirs(home, mailbox):
    set_rep(home, "R1", "name", "Alice\nBcc: everyone@example.com")
    set_rep(home, "R3", "email", "cara.cole@example.com\n")
    outcome = send(home, mailbox)
    assert mailbox.to() == ["maria.manager@example.com", "vp@example.com"]
    problems = {p.person: p.problem for p in outcome.undeliverable}
    assert problems == {
        "R1": "the name in reps holds a line break or control character: "
        "'Alice\\nBcc: everyone@example.com'",
        "R3": "the email address in reps is not an address: 'cara.cole@example.com\\n'",
        "R4": "no email address in reps",
    }
    log = [json.loads(line) for line in (home / "reports" / "2026-09" / LOG).open()]
    assert sorted(r["person"] for r in log if r["status"] == "undeliverable") == [
        "R1",
        "R3",
        "R4",
    ]


@pytest.mark.notebook
def test_a_line_break_in_a_name_stays_out_of_the_headers_and_everyone_receives_theirs(
    home, mailbox
):
    """A manager's copy of one review has the rep's name in its subject. A carriage return in
    that name (the reps file as it is now, read by delivery) cannot start a header: the
    subject is one line, and the copy and the next message go."""
    plan = yaml.safe_load((home / "plan.yml").read_text())
    plan["delivery"]["copy_managers"] = True
    west = {"to": "west@example.com", "reports": ["team_review:region:West"]}
    plan["delivery"]["addresses"].append(west)
    (home / "plan.yml").write_text(yaml.safe_dump(plan))
    reps = pd.read_csv(home / "crm" / "reps.csv", dtype=str, keep_default_na=False)
    reps.loc[reps["rep_id"] == "R1", "name"] = "Alice\rBcc: eve@example.com"
    reps.to_parquet(home / "crm" / "reps.parquet")  # a CSV cannot hold a lone \r
    (home / "crm" / "reps.csv").unlink()
    outcome = send(home, mailbox, only="performance_review:rep:R1,west@example.com")
    assert not [p for p in outcome.undeliverable if p.why == "copy"]
    assert "west@example.com" in mailbox.to()
    subjects = [str(m["Subject"]) for m in mailbox.messages]
    assert all("\r" not in s and "\n" not in s for s in subjects)
    assert not any(m["Bcc"] for m in mailbox.messages)
    assert all("eve@example.com" not in m["To"] for m in mailbox.messages)


@pytest.mark.notebook
def test_an_attachment_outside_its_recipients_scope_folder_is_refused(home, mailbox):
    """A manifest whose entry for Alice's review points at Cara's (two scopes in one folder,
    as before scope folders were made unique): Alice is not sent Cara's review."""
    path = home / "reports" / "2026-09" / "manifest.json"
    data = json.loads(path.read_text())
    for entry in data["reports"]:
        if (entry["report"], entry["scope"]) == ("performance_review", "rep:R1"):
            entry["outputs"]["pdf"] = "rep-R3/performance_review.pdf"
    path.write_text(json.dumps(data))
    outcome = send(home, mailbox)
    assert "alice.able@example.com" not in mailbox.to()
    assert "cara.cole@example.com" in mailbox.to()
    [(parcel, problem)] = outcome.not_ready
    assert (parcel.person, parcel.scope) == ("R1", "rep:R1")
    assert "is not in the folder of rep:R1 (rep-R1/)" in problem
    assert not outcome.ok
