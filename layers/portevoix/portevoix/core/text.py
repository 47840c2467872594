"""Text helpers every domain shares: plain text from HTML, cleaning, folding for matching."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import Any


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "head"}
    _BLOCK = {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "tr",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "section",
        "article",
        "header",
        "footer",
        "hr",
        "dd",
        "dt",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        if tag in self._BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


_WS = re.compile(r"\s+")
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
# Text a person writes (a post): lines and tabs kept, and the joiners emoji and some
# scripts need (U+200C, U+200D); other controls and every bidi override or isolate go.
_WRITTEN = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment: no tags, no script, whitespace folded."""
    if not html:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # malformed markup: keep what was read
        pass
    text = "".join(parser.parts)
    return _WS.sub(" ", _CONTROL.sub("", text)).strip()


def clean_text(value: str | None, limit: int) -> str:
    text = _WS.sub(" ", _CONTROL.sub("", value or "")).strip()
    return truncate(text, limit)


def clean_written(value: str | None, limit: int) -> str:
    """Multi-line text typed in a form: newlines kept (as \\n), controls and bidi gone."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return _WRITTEN.sub("", text)[:limit]


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_JOIN = r"[\s\-_.'·]*"


def fold(text: str) -> str:
    """Lower-case, accent-free form of ``text`` used for matching."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


def squash(text: str) -> str:
    return re.sub(r"[\s\-_.'·#@]+", "", fold(text))


def _term_pattern(term: str) -> str | None:
    folded = fold(term).strip()
    if not folded:
        return None
    words = [re.escape(w) for w in re.split(r"[\s\-_]+", folded) if w]
    if not words:
        return None
    body = _JOIN.join(words)
    # Whole word: no word character right before or after. A leading '#' or
    # '@' in the text is not a word character, so hashtags/handles match.
    return rf"(?<!\w){body}(?!\w)"


def compile_terms(terms: list[str]) -> re.Pattern[str] | None:
    patterns = sorted({p for p in (_term_pattern(t) for t in terms) if p}, key=len, reverse=True)
    if not patterns:
        return None
    return re.compile("|".join(patterns))
