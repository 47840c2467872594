"""Every message exists in French and English, with the same placeholders."""

from __future__ import annotations

import string

from portevoix.core.i18n import MESSAGES


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_message_in_both_languages() -> None:
    for key, texts in MESSAGES.items():
        assert set(texts) == {"fr", "en"}, key
        assert texts["fr"].strip() and texts["en"].strip(), key
        assert _fields(texts["fr"]) == _fields(texts["en"]), key
