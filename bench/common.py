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
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="eu-west-3",
        AWS_REGION="eu-west-3",
        POWERTOOLS_LOG_LEVEL="WARNING",
        **extra,
    )


def arguments(doc: str, *extra: tuple[str, dict[str, Any]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for flag, options in extra:
        parser.add_argument(flag, **options)
    parser.add_argument("--save", action="store_true", help="write the results as the new baseline")
    return parser.parse_args()


def baseline(name: str) -> dict[str, Any]:
    path = ROOT / "bench" / name
    return json.loads(path.read_text()) if path.exists() else {}


def save(name: str, results: dict[str, Any]) -> None:
    path = ROOT / "bench" / name
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"saved as baseline: {path}")
