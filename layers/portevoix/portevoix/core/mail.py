"""Emails: rendered from Jinja2 templates, sent as raw MIME through SES.

Raw MIME keeps both the text and the HTML part (SES v2's "Simple" content
keeps only one part under moto, and templated sending is not emulated).
In the local mode (``PORTEVOIX_OUTBOX`` set) every message sent is also
written to the outbox folder as ``.eml`` and ``.html``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any

from portevoix.core import aws, i18n
from portevoix.core.errors import MailError

MAX_RECIPIENTS = 50  # SES limit per message
_env = None


def templates() -> Any:
    """The one Jinja2 environment of the process: autoescaped, strict."""
    global _env
    if _env is None:
        from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

        _env = Environment(
            loader=PackageLoader("portevoix", "templates"),
            autoescape=select_autoescape(
                enabled_extensions=("html", "xml"), disabled_extensions=("txt",), default=True
            ),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        _env.globals["t"] = i18n.t
        _env.globals["status_text"] = i18n.status_text
        _env.globals["weekday"] = i18n.weekday
        _env.globals["month_year"] = i18n.month_year
        _env.filters["when"] = i18n.format_date
    return _env


def page(name: str, **context: Any) -> str:
    """An HTML page (approval, mention, freeze) from the shared templates."""
    return templates().get_template(name).render(**context)


@dataclass
class Rendered:
    subject: str
    html: str
    text: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)  # name, data, MIME type


def render(name: str, **context: Any) -> Rendered:
    """Render ``<name>.html`` and ``<name>.txt``; the subject comes from the context."""
    from jinja2 import TemplateError

    env = templates()
    try:
        html = env.get_template(f"{name}.html").render(**context)
        text = env.get_template(f"{name}.txt").render(**context)
    except TemplateError as exc:
        raise MailError(f"template {name!r} failed to render: {exc}") from exc
    from portevoix.core.text import clean_text

    # A header is one line: nothing a stranger wrote may break it or turn it around.
    return Rendered(subject=clean_text(context["subject"], 250), html=html, text=text)


def build(sender: str, to: list[str], rendered: Rendered, *, sender_name: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = " ".join(rendered.subject.split())  # no header injection through newlines
    msg["From"] = formataddr((sender_name, sender)) if sender_name else sender
    msg["To"] = ", ".join(to)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps every line 7-bit, as SES recommends for raw messages.
    msg.set_content(rendered.text, cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    for filename, data, mime in rendered.attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def send(
    msg: EmailMessage,
    *,
    sender: str,
    to: list[str],
    kind: str = "mail",
    configuration_set: str | None = None,
) -> dict[str, Any]:
    """Send through SES (its events published by ``configuration_set`` when given); return the
    SES message id and, locally, the outbox files."""
    from botocore.exceptions import BotoCoreError, ClientError

    if not to:
        raise MailError("no recipient for this email: add team members to the configuration")
    if len(to) > MAX_RECIPIENTS:
        raise MailError(f"{len(to)} recipients exceed SES's {MAX_RECIPIENTS} per message")
    try:
        extra = {"ConfigurationSetName": configuration_set} if configuration_set else {}
        resp = aws.client("ses").send_raw_email(
            Source=sender, Destinations=to, RawMessage={"Data": msg.as_bytes()}, **extra
        )
    except (ClientError, BotoCoreError) as exc:
        raise MailError(f"SES refused the email from {sender}: {exc}") from exc
    result: dict[str, Any] = {"message_id": resp.get("MessageId"), "to": to}
    outbox = os.environ.get("PORTEVOIX_OUTBOX")
    if outbox:
        result.update(write_outbox(Path(outbox), msg, kind))
    return result


def send_chunked(
    config: Any, recipients: list[str], rendered: Rendered, *, kind: str, **extra: Any
) -> list[dict[str, Any]]:
    """Send one rendered email to recipients, at most ``MAX_RECIPIENTS`` a message."""
    sent = []
    for i in range(0, len(recipients), MAX_RECIPIENTS):
        chunk = recipients[i : i + MAX_RECIPIENTS]
        msg = build(config.sender, chunk, rendered, sender_name=config.brand.name)
        result = send(msg, sender=config.sender, to=chunk, kind=kind)
        result.update(subject=rendered.subject, **extra)
        sent.append(result)
    return sent


def send_groups_once(
    config: Any,
    groups: dict[str, list[str]],
    render_for: Any,
    *,
    kind: str,
    period: str | None,
    now: datetime,
    keep: Any = None,
    outbox: str | None = None,
    refused: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> list[dict[str, Any]]:
    """Send ``render_for(lang)`` to each language group, each message of it once per
    ``period``: a marker per (period, language, message) is claimed before SES is called and
    kept once it went, so a run that stops midway (SES throttled, a timeout) is finished by
    its retry without anyone receiving it twice. ``period`` None: no marker (on demand).
    ``outbox``: the local outbox's file kind (``<kind>-<lang>`` by default). ``refused``: a
    message SES refuses for good (MessageRejected) is noted there and the others still go;
    without it, the refusal is raised."""
    from datetime import timedelta

    from portevoix.core import store

    sent: list[dict[str, Any]] = []
    for lang, recipients in groups.items():
        rendered = None
        for i in range(0, len(recipients), MAX_RECIPIENTS):
            chunk = recipients[i : i + MAX_RECIPIENTS]
            markers = [store.marker_key(kind, f"{period}#{lang}#{i // MAX_RECIPIENTS}")]
            with store.once(
                *(markers if period else []), now=now, keep=keep or timedelta(days=30)
            ) as claim:
                if period and not claim.ok:
                    continue  # this message went out in an earlier run
                rendered = rendered or render_for(lang)
                msg = build(config.sender, chunk, rendered, sender_name=config.brand.name)
                try:
                    result = send(
                        msg, sender=config.sender, to=chunk, kind=outbox or f"{kind}-{lang}"
                    )
                except MailError as exc:
                    from portevoix.core import aws

                    if refused is None or aws.transient(exc):
                        raise
                    refused.append({"to": chunk, "error": str(exc)[:300]})
                    continue
                result.update(subject=rendered.subject, lang=lang, **extra)
                sent.append(result)
                claim.delivered = True
    return sent


def write_outbox(folder: Path, msg: EmailMessage, kind: str) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    slug = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-") or "mail"
    base = folder / f"{stamp}-{slug}"
    eml = base.with_suffix(".eml")
    eml.write_bytes(msg.as_bytes())
    out: dict[str, Any] = {"eml": str(eml)}
    html_part = msg.get_body(preferencelist=("html",))
    if html_part is not None:
        html_path = base.with_suffix(".html")
        html_path.write_text(html_part.get_content(), encoding="utf-8")
        out["html"] = str(html_path)
    for part in msg.iter_attachments():
        name = Path(part.get_filename() or "attachment").name  # never a path from the message
        path = base.parent / f"{base.name}-{name}"
        path.write_bytes(part.get_payload(decode=True) or b"")
        out.setdefault("attachments", []).append(str(path))
    return out
