"""Short bilingual notices to people (one email per language of the recipients)."""

from __future__ import annotations

from typing import Any

from portevoix.core import mail
from portevoix.core.i18n import t


def language_of(config: Any, email: str) -> str:
    member = next((m for m in config.team if m.email == email), None)
    return (member.language if member else None) or config.language


def groups(config: Any, to: list[str]) -> dict[str, list[str]]:
    """The recipients by the language each reads."""
    found: dict[str, list[str]] = {}
    for address in to:
        found.setdefault(language_of(config, address), []).append(address)
    return found


def send(
    config: Any,
    to: list[str],
    key: str,
    lines: list[dict[str, Any]],
    *,
    button: str | None = None,
    values: dict[str, Any] | None = None,
    values_by_lang: dict[str, dict[str, Any]] | None = None,
    language: str | None = None,
    once: str | None = None,
    refused: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Render ``notice`` with the ``<key>.subject/title/intro`` messages and send it.

    A line's ``text`` (and ``label``) is either a string or ``{"fr": ..., "en": ...}``.
    ``language``: every recipient's (a stranger chose it), not the team's.
    ``once``: what makes this notice unique (a post's run, say): a retried task sends again
    only the messages that did not go out. ``refused``: see ``mail.send_groups_once``.
    """
    from datetime import UTC, datetime

    def render_for(lang: str) -> mail.Rendered:
        v = {
            "brand": config.brand.name,
            **(values or {}),
            **((values_by_lang or {}).get(lang) or {}),
        }
        subject = t(lang, f"{key}.subject", **v)
        return mail.render(
            "notice",
            subject=subject,
            lang=lang,
            brand=config.brand.name,
            heading=t(lang, f"{key}.title", **v),
            intro=t(lang, f"{key}.intro", **v),
            lines=[
                {
                    **line,
                    "text": line["text"] if isinstance(line["text"], str) else line["text"][lang],
                    "label": line.get("label")
                    if not isinstance(line.get("label"), dict)
                    else line["label"][lang],
                }
                for line in lines
            ],
            button=button,
            button_label=t(lang, f"{key}.button") if button else "",
        )

    kind = key.replace(".", "-")
    return mail.send_groups_once(
        config,
        {language: to} if language else groups(config, to),
        render_for,
        kind=kind,
        period=once,
        now=datetime.now(UTC),
        outbox=kind,
        refused=refused,
    )
