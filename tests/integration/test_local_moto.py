"""The local mode's changes to moto answer as moto (and DynamoDB) do, only faster."""

from __future__ import annotations

from typing import Any

from portevoix.core import store


def test_a_query_reads_its_partition_and_answers_as_before(aws: Any) -> None:
    from portevoix_local.stack import partition_queries

    store.batch_put(
        [
            store.with_key((f"P#{p}", f"S#{s:03d}"), n=s, GSI1PK=f"G#{s % 2}", GSI1SK=f"{s:03d}")
            for p in range(3)
            for s in range(40)
        ]
    )
    partition_queries()
    partition_queries()  # once is enough: a second call changes nothing
    from moto.dynamodb.models.table import Table

    listed: list[int] = []
    read = Table.all_items
    Table.all_items = lambda self: listed.append(len(items := read(self))) or items  # type: ignore[method-assign]
    try:
        got = store.query("P#1", "S#010", "S#019")
    finally:
        Table.all_items = read  # type: ignore[method-assign]
    assert listed == [40]  # the partition's 40 items were read, not the table's 120
    assert [i["SK"] for i in got] == [f"S#{s:03d}" for s in range(10, 20)]
    assert {i["PK"] for i in got} == {"P#1"}
    assert store.query("P#9", "S#", "S#~") == []  # no such partition
    client = aws.client("dynamodb")
    pages = client.get_paginator("query").paginate(
        TableName=store.table_name(),
        KeyConditionExpression="PK = :p",
        ExpressionAttributeValues={":p": {"S": "P#2"}},
        ScanIndexForward=False,
        PaginationConfig={"PageSize": 7},
    )
    keys = [i["SK"]["S"] for page in pages for i in page["Items"]]
    assert keys == [f"S#{s:03d}" for s in reversed(range(40))]  # every page, newest first
    by_index = store.query_gsi1("G#1")  # an index: moto's own way, all partitions
    assert len(by_index) == 60 and {i["PK"] for i in by_index} == {"P#0", "P#1", "P#2"}
