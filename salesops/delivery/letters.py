"""The message a recipient receives: the subject and body from the plan's Jinja2 template
(``parameters/email.j2``), with each report's headline numbers, and the PDFs attached or
linked. The body is plain text (a name in it is never markup); a name that reaches a header
or the subject line is one line (:func:`salesops.markup.header`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from salesops import markup
from salesops.batch import headlines
from salesops.batch.plan import BatchPlan, DeliveryConfig
from salesops.config import parameters_dir, settings
from salesops.data.periods import Period
from salesops.data.scopes import Scope
from salesops.delivery.recipients import Parcel, Person
from salesops.errors import ConfigError


@dataclass
class Item:
    """One report in a message, with the manifest entry it comes from."""

    parcel: Parcel
    entry: Mapping[str, Any]
    updated: bool


def compose(
    config: DeliveryConfig,
    template: Any,
    items: Sequence[Item],
    *,
    folder: Path,
    everyone: Mapping[str, Person],
    as_of: str,
    message_id: str | None = None,
) -> EmailMessage:
    """The message for one recipient: the template's subject and body, and the PDFs;
    ``message_id`` is the Message-ID to reuse (a message an interrupted run was sending),
    else a new one."""
    first = items[0].parcel
    name = markup.header(first.name)  # one line: it may land in the subject or a header
    reports = [_context(item, folder, config, everyone) for item in items]
    period = Period.parse(folder.name, fiscal_year_start_month=settings().fiscal_year_start_month)
    text = _render(
        template,
        recipient={
            "name": name,
            "first_name": name.split()[0] if first.person and name else name,
            "email": first.to,
        },
        reports=reports,
        period=period.label,
        period_name=period.name,
        as_of=as_of,
        updated=any(item.updated for item in items),
    )
    head, _, body = text.lstrip().partition("\n")
    if not head.startswith("Subject:"):
        raise ConfigError(f"{config.template}: the first line must be 'Subject: ...'")
    message = EmailMessage()
    message["Subject"] = markup.header(head.removeprefix("Subject:"))
    message["From"] = config.sender
    message["To"] = formataddr((name, first.to or ""))
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id or make_msgid(domain=_domain(config.sender))
    message["X-Salesops-Reports"] = ", ".join(f"{i.parcel.report} {i.parcel.scope}" for i in items)
    message.set_content(body.strip() + "\n")
    if config.attach == "pdf":
        for item, report in zip(items, reports, strict=True):
            data = Path(item.entry["outputs"]["pdf"]).read_bytes()
            message.add_attachment(
                data, maintype="application", subtype="pdf", filename=report["filename"]
            )
    return message


def _context(
    item: Item, folder: Path, config: DeliveryConfig, everyone: Mapping[str, Person]
) -> dict[str, Any]:
    parcel, outputs = item.parcel, item.entry["outputs"]
    summary: dict[str, Any] = {}
    if outputs.get("summary") and Path(outputs["summary"]).exists():
        summary = read_summary(Path(outputs["summary"]))
    scope = Scope.parse(parcel.scope)
    if scope.level == "rep":
        about = everyone[scope.key].name if scope.key in everyone else parcel.scope
    else:
        about = scope.value or "the company"
    about = markup.header(about)  # one line in the body's report line and the file name
    title = headlines.title(parcel.report)
    link = None
    if config.attach == "link":
        relative = Path(outputs["html"]).relative_to(folder).as_posix()
        link = f"{(config.base_url or '').rstrip('/')}/{folder.name}/{relative}"
    name = re.sub(r"[^\w -]", "", f"{title} - {about} - {folder.name}").strip()
    return {
        "report": parcel.report,
        "scope": parcel.scope,
        "title": title,
        "about": about,
        "why": parcel.why,
        "headlines": headlines.headlines(summary, settings().currency),
        "filename": f"{name}.pdf",
        "link": link,
        "updated": item.updated,
    }


def _render(template: Any, **context: Any) -> str:
    import jinja2

    try:
        return template.render(**context)
    except jinja2.TemplateError as exc:
        raise ConfigError(f"{template.filename}: {exc}") from None


def read_summary(path: Path) -> dict[str, Any]:
    """A report's JSON summary, parsed."""
    return json.loads(path.read_text())


def template(config: DeliveryConfig, plan: BatchPlan) -> Any:
    """The Jinja2 template, found next to the plan file or under ``parameters/``."""
    import jinja2

    base = Path(plan.origin).parent if plan.origin and Path(plan.origin).is_file() else None
    candidates = [Path(config.template)]
    if base is not None:
        candidates.insert(0, base / config.template)
    candidates.append(parameters_dir() / config.template)
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise ConfigError(f"delivery.template: {config.template} not found")
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(path.parent),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    try:
        return environment.get_template(path.name)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{path}: line {exc.lineno}: {exc.message}") from None


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"
