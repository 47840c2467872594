"""DynamoDB single-table access: the only module that touches the table.

Keys (see ARCHITECTURE.md): ``PK``/``SK``, ``GSI1PK``/``GSI1SK`` on the
``GSI1`` index, TTL on ``expires_at``. Every key and index value is built
here (the ``*_key`` and ``*_index`` functions); other modules name what they
want and never spell a prefix. Batch calls retry what DynamoDB leaves
unprocessed and raise rather than drop it.

| entity            | PK                          | SK             | GSI1PK                 |
|-------------------|-----------------------------|----------------|------------------------|
| feed state        | FEED#<feed>                 | STATE          |                        |
| item              | ITEM#<item>                 | ITEM           | DAY#<utc date>         |
| mention           | MENTION#<source>#<id>       | MENTION        | INBOX#<status>         |
| account cursor    | ACCOUNT#<account>           | CURSOR         |                        |
| post              | POST#<post>                 | POST           | POSTS#<status>         |
| publication       | POST#<post>                 | PUB#<account>  | PUBLISHED#<account>    |
| action link       | LINK#<link>                 | LINK           |                        |
| hourly counters   | STATS#<utc date>            | H<utc hour>    |                        |
| crisis alert      | CRISIS#<utc hour>           | ALERT          |                        |
| repeated message  | REPEAT#<digest>             | COUNT          |                        |
| publishing freeze | FREEZE                      | STATE          |                        |
| once-marker       | <KIND>#<period>             | SENT           |                        |
| member session    | SESSION#<session>           | SESSION        | SESSIONS#<email>       |
| member profile    | MEMBER#<email>              | PROFILE        |                        |
| calendar feed     | ICS#<token>                 | ICS            |                        |
| request counter   | THROTTLE#<kind>#<subject>   | W<window>      |                        |
| calendar version  | CALENDAR                    | VERSION        |                        |

Posts are also on ``GSI2`` (``GSI2PK`` ``CAL#<utc month>``, ``GSI2SK`` the
scheduled instant): the calendar reads a month whatever the posts' status.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import aws
from portevoix.core.errors import StoreError  # noqa: F401 - re-exported
from portevoix.core.timeutil import iso

Key = tuple[str, str]

BATCH_GET = 100
BATCH_WRITE = 25
_MAX_ATTEMPTS = 8


# ---------------------------------------------------------------------------
# Keys: the only place that knows the table's prefixes.


def feed_key(feed_id: str) -> Key:
    return f"FEED#{feed_id}", "STATE"


def item_key(item_id: str) -> Key:
    return f"ITEM#{item_id}", "ITEM"


def mention_key(mention_id: str) -> Key:
    """``mention_id`` is ``<source>#<id on the source>`` (``rss#…``, ``mastodon#…``)."""
    return f"MENTION#{mention_id}", "MENTION"


def cursor_key(account: str) -> Key:
    return f"ACCOUNT#{account}", "CURSOR"


def post_key(post_id: str) -> Key:
    return f"POST#{post_id}", "POST"


def publication_key(post_id: str, account: str) -> Key:
    return f"POST#{post_id}", f"PUB#{account}"


def link_key(link_id: str) -> Key:
    return f"LINK#{link_id}", "LINK"


def hour_key(hour: datetime) -> Key:
    """The hourly counters item of the UTC hour holding ``hour``."""
    hour = hour.astimezone(UTC)
    return f"STATS#{hour.date().isoformat()}", f"H{hour.hour:02d}"


def crisis_key(hour_iso: str) -> Key:
    return f"CRISIS#{hour_iso}", "ALERT"


def repeat_key(digest: str) -> Key:
    return f"REPEAT#{digest}", "COUNT"


def freeze_key() -> Key:
    return "FREEZE", "STATE"


def episode_key(episode_id: str) -> Key:
    """A crisis episode; its log lines share the partition (``LOG#<time>#<rand>``)."""
    return f"EPISODE#{episode_id}", "EPISODE"


def open_episode_key() -> Key:
    """The pointer to the one open crisis episode."""
    return "EPISODE", "OPEN"


def marker_key(kind: str, period: str) -> Key:
    """A once-marker: ``kind`` (digest, report, health...) sent for ``period``."""
    return f"{kind.upper()}#{period}", "SENT"


def compiled_config_key(stamp: str, digest: str) -> Key:
    """The configuration compiled by code ``stamp`` from the YAML whose SHA-256 is ``digest``."""
    return "CONFIG#COMPILED", f"{stamp}#{digest}"


def session_key(session_id: str) -> Key:
    return f"SESSION#{session_id}", "SESSION"


def member_key(email: str) -> Key:
    return f"MEMBER#{email}", "PROFILE"


def ics_key(token: str) -> Key:
    return f"ICS#{token}", "ICS"


def throttle_key(kind: str, subject: str, window: int) -> Key:
    """The counter of ``kind`` requests by ``subject`` in time window number ``window``."""
    return f"THROTTLE#{kind}#{subject}", f"W{window}"


def connect_key(state: str) -> Key:
    """An account connection under way: its OAuth ``state`` (single use, 15 minutes)."""
    return f"CONNECT#{state}", "CONNECT"


def calendar_version_key() -> Key:
    """A counter every change to a post bumps: cached calendar reads compare it."""
    return "CALENDAR", "VERSION"


def sessions_index(email: str) -> str:
    return f"SESSIONS#{email}"


def calendar_index(month: str) -> str:
    """``month`` is ``YYYY-MM`` (UTC) of the post's scheduled instant."""
    return f"CAL#{month}"


def day_index(day: str) -> str:
    return f"DAY#{day}"


def inbox_index(status: str) -> str:
    return f"INBOX#{status}"


def posts_index(status: str) -> str:
    return f"POSTS#{status}"


def published_index(account: str) -> str:
    return f"PUBLISHED#{account}"


def id_of(pk: str) -> str:
    """The id inside a partition key (``POST#abc`` -> ``abc``, ``MENTION#rss#x`` -> ``rss#x``)."""
    return pk.split("#", 1)[1]


def with_key(key: Key, **values: Any) -> dict[str, Any]:
    """A record for ``put``/``batch_put``: the key and its values."""
    return {"PK": key[0], "SK": key[1], **values}


_ser = None
_deser = None


def _codec() -> tuple[Any, Any]:
    global _ser, _deser
    if _ser is None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        _ser, _deser = TypeSerializer(), TypeDeserializer()
    return _ser, _deser


def to_ddb(item: dict[str, Any]) -> dict[str, Any]:
    ser, _ = _codec()
    return {k: ser.serialize(v) for k, v in item.items() if v is not None}


def from_ddb(item: dict[str, Any]) -> dict[str, Any]:
    _, deser = _codec()
    out = {k: deser.deserialize(v) for k, v in item.items()}
    for k, v in out.items():  # Decimal -> int where it is one
        if type(v).__name__ == "Decimal" and v == int(v):
            out[k] = int(v)
    return out


def table_name() -> str:
    name = os.environ.get("TABLE_NAME")
    if not name:
        raise StoreError("TABLE_NAME is not set: the function has no table to use")
    return name


def _ddb() -> Any:
    return aws.client("dynamodb")


def _chunks(seq: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def _sleep(attempt: int) -> None:
    time.sleep(min(2.0, 0.05 * 2**attempt))


def batch_get(
    keys: Iterable[tuple[str, str]], projection: str | None = None
) -> list[dict[str, Any]]:
    """Items for ``(PK, SK)`` keys that exist, in no particular order."""
    unique = list(dict.fromkeys(keys))
    found: list[dict[str, Any]] = []
    table = table_name()
    for chunk in _chunks(unique, BATCH_GET):
        request: dict[str, Any] = {"Keys": [{"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in chunk]}
        if projection:
            request["ProjectionExpression"] = projection
        pending: dict[str, Any] = {table: request}
        for attempt in range(_MAX_ATTEMPTS):
            resp = _ddb().batch_get_item(RequestItems=pending)
            found.extend(from_ddb(i) for i in resp.get("Responses", {}).get(table, []))
            pending = resp.get("UnprocessedKeys") or {}
            if not pending:
                break
            _sleep(attempt)
        else:
            raise StoreError(f"DynamoDB kept {len(pending[table]['Keys'])} keys unprocessed")
    return found


def batch_put(items: list[dict[str, Any]]) -> int:
    """Write items (overwriting); return how many."""
    table = table_name()
    for chunk in _chunks(items, BATCH_WRITE):
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": to_ddb(i)}} for i in chunk]}
        for attempt in range(_MAX_ATTEMPTS):
            resp = _ddb().batch_write_item(RequestItems=pending)
            pending = resp.get("UnprocessedItems") or {}
            if not pending:
                break
            _sleep(attempt)
        else:
            raise StoreError(f"DynamoDB kept {len(pending[table])} writes unprocessed")
    return len(items)


def _conditional(call: Any) -> bool:
    """Run a conditional write: True when it applied, False when its condition did not hold."""
    from botocore.exceptions import ClientError

    try:
        call()
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise


def put(item: dict[str, Any]) -> None:
    _ddb().put_item(TableName=table_name(), Item=to_ddb(item))


def put_if_absent(item: dict[str, Any]) -> bool:
    """Create ``item`` unless its key exists; True when it was created."""
    return _conditional(
        lambda: _ddb().put_item(
            TableName=table_name(),
            Item=to_ddb(item),
            ConditionExpression="attribute_not_exists(PK)",
        )
    )


def put_if(item: dict[str, Any], attribute: str, allowed: tuple[Any, ...]) -> bool:
    """Replace ``item`` only while its stored ``attribute`` holds one of ``allowed``.

    A whole-item write guarded like an update (optimistic concurrency); False
    when the item is missing or has moved on.
    """
    ser, _ = _codec()
    values = {f":a{i}": ser.serialize(v) for i, v in enumerate(allowed)}
    return _conditional(
        lambda: _ddb().put_item(
            TableName=table_name(),
            Item=to_ddb(item),
            ConditionExpression=f"#a IN ({', '.join(values)})",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues=values,
        )
    )


def get(pk: str, sk: str) -> dict[str, Any] | None:
    resp = _ddb().get_item(
        TableName=table_name(), Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=True
    )
    item = resp.get("Item")
    return from_ddb(item) if item else None


def take(pk: str, sk: str) -> dict[str, Any] | None:
    """Delete the item and return what it held: one caller only ever gets it (single use)."""
    resp = _ddb().delete_item(
        TableName=table_name(), Key={"PK": {"S": pk}, "SK": {"S": sk}}, ReturnValues="ALL_OLD"
    )
    item = resp.get("Attributes")
    return from_ddb(item) if item else None


def delete(pk: str, sk: str) -> None:
    _ddb().delete_item(TableName=table_name(), Key={"PK": {"S": pk}, "SK": {"S": sk}})


def query_gsi1(
    pk: str, sk_from: str | None = None, sk_to: str | None = None
) -> list[dict[str, Any]]:
    """Every item of a GSI1 partition, optionally within an SK range (inclusive)."""
    return query_index("GSI1", pk, sk_from, sk_to)


def query_index(
    index: str,
    pk: str,
    sk_from: str | None = None,
    sk_to: str | None = None,
    *,
    fields: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """Every item of a partition of ``index`` (GSI1, GSI2), optionally within an SK range;
    only ``fields`` of each when given."""
    expr = f"{index}PK = :pk"
    values: dict[str, Any] = {":pk": {"S": pk}}
    if sk_from is not None and sk_to is not None:
        expr += f" AND {index}SK BETWEEN :a AND :b"
        values[":a"], values[":b"] = {"S": sk_from}, {"S": sk_to}
    elif sk_from is not None:
        expr += f" AND {index}SK >= :a"
        values[":a"] = {"S": sk_from}
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": index,
        "KeyConditionExpression": expr,
        "ExpressionAttributeValues": values,
    }
    if fields:
        kwargs["ProjectionExpression"] = ", ".join(f"#f{i}" for i in range(len(fields)))
        kwargs["ExpressionAttributeNames"] = {f"#f{i}": f for i, f in enumerate(fields)}
    out: list[dict[str, Any]] = []
    while True:
        resp = _ddb().query(**kwargs)
        out.extend(from_ddb(i) for i in resp.get("Items", []))
        last = resp.get("LastEvaluatedKey")
        if not last:
            return out
        kwargs["ExclusiveStartKey"] = last


def update(
    pk: str,
    sk: str,
    values: dict[str, Any],
    *,
    condition: tuple[str, tuple[Any, ...]] | None = None,
) -> bool:
    """SET ``values`` on an existing item (None removes the attribute).

    With ``condition=(attribute, allowed)``, only when the attribute holds one
    of the allowed values; returns False when the condition did not hold.
    """

    ser, _ = _codec()
    names: dict[str, str] = {}
    vals: dict[str, Any] = {}
    sets, removes = [], []
    for i, (key, value) in enumerate(values.items()):
        names[f"#k{i}"] = key
        if value is None:
            removes.append(f"#k{i}")
        else:
            vals[f":v{i}"] = ser.serialize(value)
            sets.append(f"#k{i} = :v{i}")
    expr = ("SET " + ", ".join(sets) if sets else "") + (
        " REMOVE " + ", ".join(removes) if removes else ""
    )
    cond = "attribute_exists(PK)"
    if condition:
        attr, allowed = condition
        names["#c"] = attr
        placeholders = []
        for j, value in enumerate(allowed):
            vals[f":c{j}"] = ser.serialize(value)
            placeholders.append(f":c{j}")
        cond += f" AND #c IN ({', '.join(placeholders)})"
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "Key": {"PK": {"S": pk}, "SK": {"S": sk}},
        "UpdateExpression": expr.strip(),
        "ConditionExpression": cond,
        "ExpressionAttributeNames": names,
    }
    if vals:
        kwargs["ExpressionAttributeValues"] = vals
    return _conditional(lambda: _ddb().update_item(**kwargs))


def query(pk: str, sk_from: str, sk_to: str) -> list[dict[str, Any]]:
    """The items of partition ``pk`` whose sort key is within ``[sk_from, sk_to]``."""
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :pk AND SK BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":a": {"S": sk_from}, ":b": {"S": sk_to}},
    }
    out: list[dict[str, Any]] = []
    while True:
        resp = _ddb().query(**kwargs)
        out.extend(from_ddb(i) for i in resp.get("Items", []))
        if not resp.get("LastEvaluatedKey"):
            return out
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


# ---------------------------------------------------------------------------
# Hourly counters: one item per UTC hour, one attribute per metric.

COUNTER_TTL_DAYS = 400  # counters outlive the items (90 days) so past weeks stay reportable
_HOUR = timedelta(hours=1)


def _floor_hour(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def add_counts(when: datetime, counts: Mapping[str, int], once: str | None = None) -> bool:
    """Add ``counts`` to the hour of ``when`` (one atomic UpdateItem); with ``once``, only if
    that id was not added to this hour before (a retried batch counts once). True if added."""
    counts = {k: int(v) for k, v in counts.items() if v}
    if not counts:
        return False
    pk, sk = hour_key(when)
    ttl = int((_floor_hour(when) + timedelta(days=COUNTER_TTL_DAYS)).timestamp())
    values: dict[str, Any] = {f":v{i}": {"N": str(v)} for i, v in enumerate(counts.values())}
    values[":ttl"] = {"N": str(ttl)}
    names = {f"#m{i}": name for i, name in enumerate(counts)}
    expression = "ADD " + ", ".join(f"#m{i} :v{i}" for i in range(len(counts)))
    kwargs: dict[str, Any] = {}
    if once:
        names["#runs"] = RUNS
        values[":run"] = {"SS": [once]}
        values[":one"] = {"S": once}
        expression += ", #runs :run"
        kwargs["ConditionExpression"] = "attribute_not_exists(#runs) OR NOT contains(#runs, :one)"
    return _conditional(
        lambda: _ddb().update_item(
            TableName=table_name(),
            Key={"PK": {"S": pk}, "SK": {"S": sk}},
            UpdateExpression=expression + " SET expires_at = if_not_exists(expires_at, :ttl)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            **kwargs,
        )
    )


RUNS = "counted_batches"  # the batches an hour's counters hold (never a metric)


def read_counts(start: datetime, end: datetime) -> dict[datetime, dict[str, int]]:
    """The counters of every UTC hour in ``[start, end)`` that has any (one Query per day)."""
    first, last = _floor_hour(start), _floor_hour(end) - _HOUR
    found: dict[datetime, dict[str, int]] = {}
    day = first.date()
    while last >= first and day <= last.date():
        lo = first.hour if day == first.date() else 0
        hi = last.hour if day == last.date() else 23
        pk = f"STATS#{day.isoformat()}"
        for item in query(pk, f"H{lo:02d}", f"H{hi:02d}"):
            hour = datetime(day.year, day.month, day.day, int(item["SK"][1:]), tzinfo=UTC)
            found[hour] = {
                k: int(v) for k, v in item.items() if k not in ("PK", "SK", "expires_at", RUNS)
            }
        day += timedelta(days=1)
    return found


def increment(key: Key, *, now: datetime, keep: timedelta, once: str | None = None) -> int:
    """Add one to the ``n`` counter of ``key`` (created, kept ``keep``); the new value. With
    ``once``, only if that id was not counted yet (a retried message counts once)."""
    expression = "ADD n :one SET expires_at = if_not_exists(expires_at, :ttl)"
    values = {":one": {"N": "1"}, ":ttl": {"N": str(int((now + keep).timestamp()))}}
    extra: dict[str, Any] = {}
    if once:
        expression = "ADD n :one, ids :id SET expires_at = if_not_exists(expires_at, :ttl)"
        values.update({":id": {"SS": [once]}, ":idv": {"S": once}})
        extra["ConditionExpression"] = "attribute_not_exists(ids) OR NOT contains(ids, :idv)"
    try:
        resp = _ddb().update_item(
            TableName=table_name(),
            Key={"PK": {"S": key[0]}, "SK": {"S": key[1]}},
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
            ReturnValues="UPDATED_NEW",
            **extra,
        )
    except _ddb().exceptions.ConditionalCheckFailedException:
        return int((get(*key) or {}).get("n", 0))  # counted already: its count as it stands
    return int(resp["Attributes"]["n"]["N"])


def add_to(key: Key, attribute: str, n: int = 1) -> dict[str, Any] | None:
    """Atomically add ``n`` to a number of an existing item: the item after, or None if none."""
    from botocore.exceptions import ClientError

    try:
        resp = _ddb().update_item(
            TableName=table_name(),
            Key={"PK": {"S": key[0]}, "SK": {"S": key[1]}},
            UpdateExpression="ADD #a :n",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":n": {"N": str(int(n))}},
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None
        raise
    return from_ddb(resp["Attributes"])


def short_link_key(code: str) -> Key:
    """A tracked short link (``/l/<code>``): its target and its clicks."""
    return f"SHORT#{code}", "LINK"


def bump(key: Key) -> str:
    """Move the version item ``key`` on (kept for good); its new version.

    A version is ``<epoch>.<n>``: the random epoch is set when the item is made, so a
    table made afresh never hands back a version an earlier one had.
    """
    import secrets as _random

    resp = _ddb().update_item(
        TableName=table_name(),
        Key={"PK": {"S": key[0]}, "SK": {"S": key[1]}},
        UpdateExpression="ADD n :one SET epoch = if_not_exists(epoch, :epoch)",
        ExpressionAttributeValues={":one": {"N": "1"}, ":epoch": {"S": _random.token_hex(8)}},
        ReturnValues="ALL_NEW",
    )
    attrs = resp["Attributes"]
    return f"{attrs['epoch']['S']}.{attrs['n']['N']}"


def version(key: Key) -> str | None:
    """The version of ``key`` (see ``bump``); None before the first bump."""
    item = get(*key)
    return f"{item['epoch']}.{item['n']}" if item and item.get("epoch") else None


# ---------------------------------------------------------------------------
# Once: a scheduled send retried, a mention notified, never twice.


class Claim:
    """What ``once`` hands its block: the keys this run holds."""

    def __init__(self, keys: list[Key]):
        self.keys = keys
        self.delivered = False  # set once something went out: the claim is then kept

    @property
    def ok(self) -> bool:
        return bool(self.keys)


def claim_attribute(key: Key, attribute: str, value: str) -> bool:
    """Set ``attribute`` on an existing item unless it is set already; True when set here."""

    return _conditional(
        lambda: _ddb().update_item(
            TableName=table_name(),
            Key={"PK": {"S": key[0]}, "SK": {"S": key[1]}},
            UpdateExpression="SET #a = :v",
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(#a)",
            ExpressionAttributeNames={"#a": attribute},
            ExpressionAttributeValues={":v": {"S": value}},
        )
    )


@contextmanager
def once(
    *keys: Key,
    now: datetime,
    keep: timedelta = timedelta(days=30),
    attribute: str | None = None,
) -> Iterator[Claim]:
    """Claim ``keys`` before doing something that must happen once.

    Without ``attribute`` each key is a marker item created for the claim
    (kept ``keep``); with it, each key is an existing item claimed by
    setting that attribute. Keys another run holds are left out of the
    claim. When the block raises before ``claim.delivered`` is set, the
    claims are dropped so that the retry does the work.
    """
    stamp = iso(now)
    if attribute is None:
        expires = int((now + keep).timestamp())
        held = [k for k in keys if put_if_absent(with_key(k, sent_at=stamp, expires_at=expires))]
    else:
        held = [k for k in keys if claim_attribute(k, attribute, stamp)]
    claim = Claim(held)
    try:
        yield claim
    except BaseException:
        if not claim.delivered:
            for key in held:
                if attribute is None:
                    delete(*key)
                else:
                    update(key[0], key[1], {attribute: None})
        raise
