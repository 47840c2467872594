"""What the benchmarks share: an emulated-AWS environment and their baselines."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def fake_aws_env(**extra: str) -> None:
    """Credentials and region for moto, plus ``extra`` variables."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-3",
            "AWS_REGION": "eu-west-3",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
            **extra,
        }
    )


def arguments(doc: str, *extra: tuple[str, dict[str, Any]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for flag, options in extra:
        parser.add_argument(flag, **options)
    parser.add_argument("--save", action="store_true", help="write the results as the new baseline")
    return parser.parse_args()


def import_seconds(modules: str, runs: int = 7) -> float:
    """The median time a fresh interpreter takes to import ``modules`` (comma-separated)."""
    import statistics
    import subprocess
    import sys

    code = (
        "import sys, time; sys.path.insert(0, {root!r}); t = time.perf_counter(); "
        "import {mods}; print(time.perf_counter() - t)"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code.format(root=str(ROOT), mods=modules)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        samples.append(float(out.strip()))
    return statistics.median(samples)


def baseline(name: str) -> dict[str, Any]:
    path = ROOT / "bench" / name
    return json.loads(path.read_text()) if path.exists() else {}


def save(name: str, results: dict[str, Any]) -> None:
    path = ROOT / "bench" / name
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"saved as baseline: {path}")


def ddb_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB bills it (names plus values, DynamoDB JSON in)."""
    return sum(len(k.encode()) + _value_size(v) for k, v in item.items())


def _value_size(value: dict[str, Any]) -> int:
    import base64

    ((kind, x),) = value.items()
    if kind == "S":
        return len(x.encode())
    if kind == "N":
        digits = len(x.lstrip("-").replace(".", "").strip("0")) or 1
        return (digits + 1) // 2 + 1
    if kind == "B":
        return len(x) if isinstance(x, bytes) else len(base64.b64decode(x))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in x)
    if kind == "NS":
        return sum(_value_size({"N": n}) for n in x)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in x)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in x.items())
    return len(str(x))


class CapacityMeter:
    """DynamoDB read and write units of every call a client makes, as on-demand bills them.

    Writes cost 1 unit per KB of the item (an UpdateItem: of the item after
    it), reads 1 unit per 4 KB, half for eventually consistent ones; a Query
    rounds the sum of its items, a batch each item. Calls made by a thread
    named in ``skip`` (a benchmark's own polling) are not counted.
    """

    def __init__(self, client: Any) -> None:
        import threading
        from collections import Counter

        self.client = client
        self.rru = 0.0
        self.wru = 0.0
        self.requests: Counter[str] = Counter()
        self.skip: set[int] = set()
        self._threading = threading
        events = client.meta.events
        events.register("before-parameter-build.dynamodb.*", self._params)
        events.register("after-call.dynamodb.*", self._after)

    def reset(self) -> None:
        self.rru = self.wru = 0.0
        self.requests.clear()

    def snapshot(self) -> tuple[float, float, int]:
        return self.rru, self.wru, sum(self.requests.values())

    def _params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["pv_params"] = dict(params)

    def _after(
        self, event_name: str, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        import math

        if self._threading.get_ident() in self.skip:
            return
        op = event_name.rsplit(".", 1)[-1]
        params = context.get("pv_params") or {}
        self.requests[op] += 1
        kb, four = 1024, 4096
        if op == "PutItem":
            self.wru += math.ceil(max(1, ddb_size(params["Item"])) / kb)
        elif op == "BatchWriteItem":
            for reqs in params["RequestItems"].values():
                for r in reqs:
                    item = (r.get("PutRequest") or {}).get("Item")
                    self.wru += math.ceil(max(1, ddb_size(item)) / kb) if item else 1
        elif op in ("UpdateItem", "DeleteItem"):
            after = None
            if op == "UpdateItem":
                after = (
                    self._raw()
                    .get_item(TableName=params["TableName"], Key=params["Key"])
                    .get("Item")
                )
            self.wru += math.ceil(max(1, ddb_size(after or {})) / kb)
        elif op == "GetItem":  # a missing item still costs the minimum
            factor = 1.0 if params.get("ConsistentRead") else 0.5
            self.rru += factor * math.ceil(max(1, ddb_size(parsed.get("Item") or {})) / four)
        elif op == "BatchGetItem":  # every key read costs at least half a unit, found or not
            for table, request in params["RequestItems"].items():
                found = (parsed.get("Responses") or {}).get(table, [])
                left = len(((parsed.get("UnprocessedKeys") or {}).get(table) or {}).get("Keys", []))
                missing = len(request["Keys"]) - left - len(found)
                self.rru += 0.5 * (
                    sum(math.ceil(max(1, ddb_size(i)) / four) for i in found) + missing
                )
        elif op == "Query":
            total = sum(ddb_size(i) for i in parsed.get("Items") or [])
            self.rru += 0.5 * math.ceil(max(1, total) / four)

    _raw_client = None

    def _raw(self) -> Any:
        """A client of the same endpoint that this meter does not count."""
        if self._raw_client is None:
            import boto3

            self._raw_client = boto3.client(
                "dynamodb",
                region_name=self.client.meta.region_name,
                endpoint_url=self.client.meta.endpoint_url,
            )
        return self._raw_client


def compare(
    results: dict[str, Any],
    targets: dict[str, tuple[str, float]],
    baseline_name: str,
    save_it: bool,
    width: int = 34,
) -> int:
    """Print each result beside its baseline and its ``<=`` target; 1 when a target is missed."""
    base_values = baseline(baseline_name)
    failed = []
    for key, value in results.items():
        base = base_values.get(key)
        target = targets.get(key)
        ok = ""
        if target:
            met = value <= target[1]
            ok = f"   target {target[0]} {target[1]}: {'ok' if met else 'MISSED'}"
            failed += [] if met else [key]
        print(
            f"{key:{width}} {json.dumps(value):>12}"
            + (f"   (baseline {json.dumps(base)})" if base is not None else "")
            + ok
        )
    if save_it:
        save(baseline_name, results)
    return 1 if failed else 0
