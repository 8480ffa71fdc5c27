"""The message a recipient receives (:mod:`salesops.delivery.letters`): subject and body
from the plan's template, headline numbers, the PDF attached or linked; hostile names stay
one line in headers and text in the body."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest

from salesops.batch.plan import BatchPlan, DeliveryConfig
from salesops.delivery import letters
from salesops.delivery.recipients import Parcel, Person
from salesops.errors import ConfigError

HOSTILE = 'Ann <script>alert("x")</script>\r\nBcc: all@example.com'
EVERYONE = {
    "R1": Person(
        "R1", HOSTILE, "ann@example.com", "East", role="rep", manager_id=None, end_date=None
    )
}
PLAN = BatchPlan.from_dict({"reports": [{"notebook": "performance_review"}], "formats": ["pdf"]})


def _item(folder: Path, scope: str = "rep:R1", why: str = "own") -> letters.Item:
    """One performance review in ``folder`` (a period's): its PDF, HTML and summary
    (bookings 12,345.6 this month; attainment unknown, with its reason)."""
    reports = folder / scope.replace(":", "-")
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "performance_review.pdf").write_bytes(b"%PDF-1.4 tiny")
    (reports / "performance_review.html").write_text("<html></html>")
    summary = {
        "report": "performance_review",
        "bookings": {"Month": 12345.6},
        "attainment": {"Month": None},
        "unknown": {"attainment.Month": "no quota for 2026-09"},
    }
    (reports / "performance_review.json").write_text(json.dumps(summary))
    outputs = {f: str(reports / f"performance_review.{f}") for f in ("pdf", "html")}
    outputs["summary"] = str(reports / "performance_review.json")
    parcel = Parcel(HOSTILE, "ann@example.com", "R1", "performance_review", scope=scope, why=why)
    return letters.Item(parcel, {"outputs": outputs}, updated=False)


def test_the_shipped_template_gives_a_one_line_subject_headlines_and_the_pdf(tmp_path):
    config = DeliveryConfig(sender="Sales Ops <ops@example.com>")
    template = letters.template(config, PLAN)  # parameters/email.j2
    folder = tmp_path / "2026-09"
    message = letters.compose(
        config, template, [_item(folder)], folder=folder, everyone=EVERYONE, as_of="30 Sep 2026"
    )
    assert message["Subject"] == "Performance review, September 2026"
    one_line = 'Ann <script>alert("x")</script> Bcc: all@example.com'
    for header in ("To", "Subject", "X-Salesops-Reports"):
        assert "\n" not in message[header] and "\r" not in message[header]
    assert message["To"].addresses[0].display_name == one_line
    assert message["To"].addresses[0].addr_spec == "ann@example.com"
    assert message["Bcc"] is None  # the name's "Bcc:" is text in To, not a header
    assert message["X-Salesops-Reports"] == "performance_review rep:R1"
    assert message["Message-ID"].endswith("@example.com>")
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Hello Ann,")
    assert "Bookings this month: $12,346" in body
    assert "Quota attainment this month: – (no quota for 2026-09)" in body
    (attachment,) = message.iter_attachments()
    # the file name: the title, whose it is (one line) and the period, no mark but "-"
    expected = "Performance review - Ann scriptalertxscript Bcc allexamplecom - 2026-09.pdf"
    assert attachment.get_filename() == expected
    assert attachment.get_content() == b"%PDF-1.4 tiny"


def test_a_link_instead_of_the_pdf_and_a_given_message_id(tmp_path):
    config = DeliveryConfig(
        sender="ops@example.com", attach="link", base_url="https://r.example.com/reports/"
    )
    folder = tmp_path / "2026-09"
    template = jinja2.Template("Subject: {{ reports[0].about }}\n\n{{ reports[0].link }}")
    message = letters.compose(
        config,
        template,
        [_item(folder, "region:East", "team")],
        folder=folder,
        everyone=EVERYONE,
        as_of="30 Sep 2026",
        message_id="<given@example.com>",
    )
    assert message["Subject"] == "East" and message["Message-ID"] == "<given@example.com>"
    body = message.get_body(("plain",)).get_content()
    assert body == "https://r.example.com/reports/2026-09/region-East/performance_review.html\n"
    assert list(message.iter_attachments()) == []


def test_a_template_without_a_subject_line_or_with_an_error_is_named(tmp_path):
    config = DeliveryConfig(sender="ops@example.com")
    folder = tmp_path / "2026-09"
    kwargs = {"folder": folder, "everyone": EVERYONE, "as_of": "30 Sep 2026"}
    with pytest.raises(ConfigError, match="email.j2: the first line must be 'Subject: ...'"):
        letters.compose(config, jinja2.Template("Hello"), [_item(folder)], **kwargs)
    strict = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string("{{ nothing }}")
    with pytest.raises(ConfigError, match="'nothing' is undefined"):
        letters.compose(config, strict, [_item(folder)], **kwargs)


def test_the_template_is_found_beside_the_plan_first_and_its_errors_named(tmp_path):
    (tmp_path / "email.j2").write_text("Subject: beside the plan\n")
    plan_file = tmp_path / "plan.yml"
    plan_file.write_text("")
    beside = BatchPlan(PLAN.reports, origin=str(plan_file))
    config = DeliveryConfig(sender="ops@example.com")
    assert letters.template(config, beside).render() == "Subject: beside the plan\n"
    (tmp_path / "broken.j2").write_text("Subject: x\n{% if %}\n")
    broken = DeliveryConfig(sender="ops@example.com", template="broken.j2")
    with pytest.raises(ConfigError, match=r"broken.j2: line 2: "):
        letters.template(broken, beside)
    missing = DeliveryConfig(sender="ops@example.com", template="nowhere.j2")
    with pytest.raises(ConfigError, match="delivery.template: nowhere.j2 not found"):
        letters.template(missing, beside)


def test_read_summary(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"report": "metrics", "kpis": {"Bookings": {"current": 1.5}}}')
    assert letters.read_summary(path) == {
        "report": "metrics",
        "kpis": {"Bookings": {"current": 1.5}},
    }


def test_a_copy_names_whose_report_it_is_on_one_line(tmp_path):
    """A manager's copy of R1's review: the subject and the body's report line name R1,
    the name's line break a space (it broke the body's line before)."""
    config = DeliveryConfig(sender="ops@example.com")
    folder = tmp_path / "2026-09"
    item = _item(folder, why="copy")
    message = letters.compose(
        config,
        letters.template(config, PLAN),
        [item],
        folder=folder,
        everyone=EVERYONE,
        as_of="30 Sep 2026",
    )
    one_line = 'Ann <script>alert("x")</script> Bcc: all@example.com'
    assert message["Subject"] == f"Performance review, {one_line}, September 2026"
    body = message.get_body(("plain",)).get_content()
    assert f"\nPerformance review, {one_line}\n" in body
