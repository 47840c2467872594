"""DynamoDB single-table access: the only module that touches the table.

Keys (see ARCHITECTURE.md): ``PK``/``SK``, ``GSI1PK``/``GSI1SK`` on the
``GSI1`` index, TTL on ``expires_at``. Batch calls retry what DynamoDB
leaves unprocessed and raise rather than drop it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from . import aws
from .errors import PortevoixError

BATCH_GET = 100
BATCH_WRITE = 25
_MAX_ATTEMPTS = 8


class StoreError(PortevoixError):
    """The table refused or kept failing a request."""


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


def put_if_absent(item: dict[str, Any]) -> bool:
    """Create ``item`` unless its key exists; True when it was created."""
    from botocore.exceptions import ClientError

    try:
        _ddb().put_item(
            TableName=table_name(),
            Item=to_ddb(item),
            ConditionExpression="attribute_not_exists(PK)",
        )
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise


def get(pk: str, sk: str) -> dict[str, Any] | None:
    resp = _ddb().get_item(
        TableName=table_name(), Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=True
    )
    item = resp.get("Item")
    return from_ddb(item) if item else None


def delete(pk: str, sk: str) -> None:
    _ddb().delete_item(TableName=table_name(), Key={"PK": {"S": pk}, "SK": {"S": sk}})


def query_gsi1(
    pk: str, sk_from: str | None = None, sk_to: str | None = None
) -> list[dict[str, Any]]:
    """Every item of a GSI1 partition, optionally within an SK range (inclusive)."""
    expr = "GSI1PK = :pk"
    values: dict[str, Any] = {":pk": {"S": pk}}
    if sk_from is not None and sk_to is not None:
        expr += " AND GSI1SK BETWEEN :a AND :b"
        values[":a"], values[":b"] = {"S": sk_from}, {"S": sk_to}
    elif sk_from is not None:
        expr += " AND GSI1SK >= :a"
        values[":a"] = {"S": sk_from}
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": "GSI1",
        "KeyConditionExpression": expr,
        "ExpressionAttributeValues": values,
    }
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
    from botocore.exceptions import ClientError

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
    try:
        _ddb().update_item(**kwargs)
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
