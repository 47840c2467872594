"""A spreadsheet of posts (CSV, one post a row), checked whole before anything is created.

Columns (header names, any order, case-insensitive): ``date`` (YYYY-MM-DD),
``time`` (HH:MM, the brand's zone; 09:00 if empty), ``accounts`` (ids,
separated by commas or spaces), ``text``, and optionally ``title``, ``link``,
``image_url`` with ``alt``, and ``text_<account>`` for an account's own text.
Excel's semicolons and byte-order mark are understood. Every row is checked as
the composer checks a post (the charter's errors included); a single wrong row
means nothing is created, and every problem is named by row and column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from portevoix.core.errors import ConfigError
from portevoix.core.text import clean_written
from portevoix.publishing import charter, posts

if TYPE_CHECKING:
    from portevoix.publishing.draft import Draft

MAX_ROWS = 500
KNOWN = {"date", "time", "accounts", "text", "title", "link", "image_url", "alt"}


@dataclass
class Problem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


def read(text: str) -> list[dict[str, str]]:
    """The rows of a CSV text, keyed by lower-case header."""
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        raise ConfigError("csv", ["the file is empty: the first row must name the columns"])
    rows = []
    for row in reader:
        rows.append({(k or "").strip().lower(): (v or "").strip() for k, v in row.items()})
        if len(rows) > MAX_ROWS:
            raise ConfigError("csv", [f"more than {MAX_ROWS} rows: split the file"])
    return rows


def check(
    config: Any, rows: list[dict[str, str]], author: str, now: datetime | None = None
) -> tuple[list[Draft], list[Problem]]:
    """Every row as a draft, or the problems that stop the import (by row and column)."""
    now = now or datetime.now(UTC)
    accounts = {a.key: a for a in config.accounts}
    drafts, problems = [], []
    if rows:
        extra = sorted(k for k in rows[0] if k not in KNOWN and not k.startswith("text_") and k)
        problems += [Problem(1, k, "unknown column") for k in extra]
        for needed in ("date", "accounts", "text"):
            if needed not in rows[0]:
                problems.append(Problem(1, needed, "this column is missing"))
        if problems:
            return [], problems
    for number, row in enumerate(rows, start=2):
        found: list[Problem] = []

        def bad(column: str, message: str, found: list[Problem] = found, n: int = number) -> None:
            found.append(Problem(n, column, message))

        when = _when(row, config, bad)
        if when is not None and when < now:
            bad("date", f"{when.astimezone(config.tz):%Y-%m-%d %H:%M} has passed")
        chosen = [a for a in re.split(r"[\s,;]+", row.get("accounts", "")) if a]
        if not chosen:
            bad("accounts", "no account named")
        for name in chosen:
            if name not in accounts:
                bad("accounts", f"no account {name!r} (known: {', '.join(sorted(accounts))})")
        link = row.get("link", "")
        if link and not link.startswith(("https://", "http://")):
            bad("link", "a link starts with https:// or http://")
        image = row.get("image_url", "")
        if image and not image.startswith("https://"):
            bad("image_url", "an image is a public https:// address")
        variants = {}
        for name in chosen:
            text = clean_written(row.get(f"text_{name}") or row.get("text", ""), 20_000)
            column = f"text_{name}" if row.get(f"text_{name}") else "text"
            if not text.strip():
                bad(column, f"no text for {name}")
                continue
            spec: dict[str, Any] = {"text": text}
            if link:
                spec["link"] = link
            if image:
                spec["media"] = [{"url": image, "alt": row.get("alt", "")[:1000]}]
            variants[name] = spec
            if name in accounts and when is not None:
                variant = posts.Variant(
                    text=text,
                    link=link or None,
                    media=[posts.Media(url=image, mime="image/jpeg")] if image else [],
                )
                for f in charter.check(config, accounts[name].network, variant, when=when):
                    if f.level == "error":
                        bad(column, f"{name}: {f.en}")
        if found or when is None:
            problems += found
            continue
        try:
            drafts.append(
                posts.parse_draft(
                    {
                        "author": author,
                        "title": " ".join(row.get("title", "").split())[:200],
                        "at": when.astimezone(config.tz).replace(tzinfo=None).isoformat(),
                        "variants": variants,
                    },
                    config,
                    source=f"row {number}",
                )
            )
        except ConfigError as exc:
            problems += [Problem(number, "-", e) for e in exc.problems]
    return drafts, problems


def _when(row: dict[str, str], config: Any, bad: Any) -> datetime | None:
    try:
        day = date.fromisoformat(row.get("date", ""))
    except ValueError:
        bad("date", f"{row.get('date', '')!r} is not a date (YYYY-MM-DD)")
        return None
    try:
        hour = time.fromisoformat(row["time"]) if row.get("time") else time(9, 0)
    except ValueError:
        bad("time", f"{row.get('time')!r} is not a time (HH:MM)")
        return None
    return datetime.combine(day, hour, config.tz)
