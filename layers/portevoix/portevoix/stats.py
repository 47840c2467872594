"""Hourly counters for the reports: atomic ADDs on one small item per UTC hour.

``STATS#<utc date>`` / ``H<HH>`` holds one number per metric: ``items``
(feed items stored), ``brand`` (of them, naming the brand),
``topic:<name>`` and ``competitor:<name>``. A poll adds what it stored in
one UpdateItem. A report sums the hours of its local week, so a week that
crosses a daylight-saving change still counts exactly (167 or 169 hours).
Counters outlive the items (400 days against 90), so past weeks can still
be reported. In zones offset by a half hour, a week starts at the UTC hour
that holds local midnight.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from . import aws, store

COUNTER_TTL_DAYS = 400
_HOUR = timedelta(hours=1)


def _floor(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_key(when: datetime) -> tuple[str, str]:
    hour = _floor(when)
    return f"STATS#{hour.date().isoformat()}", f"H{hour.hour:02d}"


def add(when: datetime, counts: Mapping[str, int]) -> None:
    """Add ``counts`` to the hour of ``when`` (one atomic UpdateItem)."""
    counts = {k: int(v) for k, v in counts.items() if v}
    if not counts:
        return
    pk, sk = hour_key(when)
    names = {f"#m{i}": name for i, name in enumerate(counts)}
    values: dict[str, Any] = {f":v{i}": {"N": str(v)} for i, v in enumerate(counts.values())}
    values[":ttl"] = {"N": str(int((_floor(when) + timedelta(days=COUNTER_TTL_DAYS)).timestamp()))}
    aws.client("dynamodb").update_item(
        TableName=store.table_name(),
        Key={"PK": {"S": pk}, "SK": {"S": sk}},
        UpdateExpression="ADD "
        + ", ".join(f"#m{i} :v{i}" for i in range(len(counts)))
        + " SET expires_at = if_not_exists(expires_at, :ttl)",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def item_counts(records: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """What a batch of newly stored feed items adds to the counters."""
    out: Counter[str] = Counter()
    for rec in records:
        out["items"] += 1
        if rec.get("brand"):
            out["brand"] += 1
        for topic in rec.get("topics") or ():
            out[f"topic:{topic}"] += 1
        for name in rec.get("competitors") or ():
            out[f"competitor:{name}"] += 1
    return out


def hours(start: datetime, end: datetime) -> list[datetime]:
    """The UTC hours of ``[start, end)``, both floored to the hour."""
    out, hour, last = [], _floor(start), _floor(end)
    while hour < last:
        out.append(hour)
        hour += _HOUR
    return out


def read(start: datetime, end: datetime) -> dict[datetime, dict[str, int]]:
    """The counters of every hour in ``[start, end)`` that has any (BatchGet)."""
    wanted = hours(start, end)
    by_key = {hour_key(h): h for h in wanted}
    found: dict[datetime, dict[str, int]] = {}
    for item in store.batch_get(list(by_key)):
        hour = by_key[(item["PK"], item["SK"])]
        found[hour] = {k: int(v) for k, v in item.items() if k not in ("PK", "SK", "expires_at")}
    return found


def total(counters: Mapping[datetime, Mapping[str, int]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for values in counters.values():
        out.update(values)
    return out
