"""Inbound email: a message SES stored in S3 becomes a mention (source ``email``).

The sender is the author; the text is the plain part (or the HTML part as
text); attachments are kept in the bucket under ``attachments/``. Creating
the mention is idempotent (the S3 event may be delivered twice), and the
table's stream then files it like any other mention.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import Any

from portevoix.core import aws, mail, store
from portevoix.core.text import clean_text, clean_written, html_to_text
from portevoix.core.timeutil import iso

MAX_EMAIL_BYTES = 30 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024
TEXT_CHARS = 4000


def _safe_name(name: str) -> str:
    name = re.sub(r"[^\w.\- ]+", "_", (name or "attachment").strip())[:120].strip(" .")
    return name or "attachment"


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def ingest(bucket: str, key: str, now: datetime | None = None) -> dict[str, Any] | None:
    """Read one stored email and create its mention; None when it already exists."""
    now = now or datetime.now(UTC)
    s3 = aws.client("s3")
    head = s3.head_object(Bucket=bucket, Key=key)
    if head["ContentLength"] > MAX_EMAIL_BYTES:
        raise ValueError(
            f"{key}: email of {head['ContentLength']:,} bytes is over the {MAX_EMAIL_BYTES:,}-byte limit"
        )
    msg = parse(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    name, address = parseaddr(str(msg.get("Reply-To") or msg.get("From") or ""))
    if not address:
        raise ValueError(f"{key}: no sender address")
    message_id = str(
        msg.get("Message-ID") or f"<{hashlib.sha256(key.encode()).hexdigest()}@inbound>"
    ).strip()
    mention_id = hashlib.sha256(message_id.encode()).hexdigest()[:32]
    body = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, UnicodeDecodeError):
            content = body.get_payload(decode=True).decode("utf-8", "replace")
        text = (
            html_to_text(content)
            if body.get_content_type() == "text/html"
            else re.sub(r"\s+\n", "\n", content)
        )
    attachments = []
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True) or b""
        if len(data) > MAX_ATTACHMENT_BYTES:
            attachments.append(
                {"name": _safe_name(part.get_filename() or ""), "skipped": "too large"}
            )
            continue
        target = f"attachments/{mention_id}/{_safe_name(part.get_filename() or '')}"
        s3.put_object(
            Bucket=bucket,
            Key=target,
            Body=data,
            ContentType=part.get_content_type(),
            ServerSideEncryption="AES256",
        )
        attachments.append(
            {
                "name": target.rsplit("/", 1)[-1],
                "key": target,
                "size": len(data),
                "type": part.get_content_type(),
            }
        )
    spam_verdict = str(msg.get("X-SES-Spam-Verdict") or "").upper()
    virus_verdict = str(msg.get("X-SES-Virus-Verdict") or "").upper()
    seen = iso(now)
    record = {
        **store.with_key(store.mention_key(f"email#{mention_id}")),
        "GSI1PK": store.inbox_index("new"),
        "GSI1SK": f"{seen}#email#{mention_id}",
        "type": "mention",
        "source": "email",
        "source_id": mention_id,
        "status": "new",
        "author": clean_text(name or address, 200),
        "author_handle": clean_text(address.lower(), 254),
        "title": clean_text(str(msg.get("Subject") or ""), 300) or None,
        "text": clean_written(text, TEXT_CHARS).strip() or None,
        "received_at": seen,
        "message_id": message_id,
        "references": " ".join(str(msg.get("References") or "").split())[:2000] or None,
        "to": [a for _, a in getaddresses([str(msg.get("To") or "")])][:20] or None,
        "raw_key": key,
        "attachments": attachments or None,
        "ses_verdicts": {"spam": spam_verdict, "virus": virus_verdict}
        if spam_verdict or virus_verdict
        else None,
        "expires_at": int((now + timedelta(days=365)).timestamp()),
    }
    return record if store.put_if_absent(record) else None


def reply(config: Any, mention: dict[str, Any], text: str) -> dict[str, Any]:
    """Answer an email mention by email, threaded under the original."""
    subject = mention.get("title") or ""
    if not subject.lower().startswith(("re:", "re :")):
        subject = f"Re: {subject}".strip()
    rendered = mail.Rendered(
        subject=subject, text=text, html=f'<p style="white-space:pre-wrap">{_escape(text)}</p>'
    )
    msg = mail.build(
        config.sender, [mention["author_handle"]], rendered, sender_name=config.brand.name
    )
    original = mention.get("message_id")
    if original:
        msg["In-Reply-To"] = original
        msg["References"] = " ".join(x for x in (mention.get("references"), original) if x)
    result = mail.send(msg, sender=config.sender, to=[mention["author_handle"]], kind="reply")
    return {"ref": result.get("message_id"), "url": None}


def _escape(text: str) -> str:
    import html

    return html.escape(text)
