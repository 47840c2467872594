"""The brand configuration as the stack keeps it: one SSM parameter, its versions, its edits.

SSM keeps the last 100 versions of a parameter, with who changed it and a
description: that is the history the studio shows and restores from. A
version is written only after it validates as ``config check`` does; a save
based on a version that is no longer the current one is refused (two
members editing at once), so nobody's change is silently lost.

Sizes: a Standard parameter holds 4 KB and is free; up to 8 KB needs the
Advanced tier ($0.05 a month). ``Intelligent-Tiering`` picks the cheaper one
that fits; more than 8 KB is refused here with what to do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portevoix.core import aws
from portevoix.core.errors import ConfigConflict, ConfigError

MAX_BYTES = 8192  # the Advanced tier's limit
# Called with the new text after each save (the local mode writes it back to its file).
after_save: list[Callable[[str], None]] = []


@dataclass
class Version:
    number: int
    modified: datetime
    note: str
    text: str


def parameter() -> str:
    name = os.environ.get("CONFIG_PARAMETER")
    if not name:
        raise ConfigError("environment", ["CONFIG_PARAMETER is not set: no configuration to edit"])
    return name


def current() -> tuple[str, int]:
    """The configuration's YAML and its version number."""
    found = aws.client("ssm").get_parameter(Name=parameter())["Parameter"]
    return found["Value"], int(found["Version"])


def check(text: str) -> Any:
    """The configuration ``text`` would load as; ConfigError naming each faulty field."""
    from portevoix.core.config import parse_config

    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise ConfigError(
            "the configuration",
            [
                f"{size} bytes; an SSM parameter holds {MAX_BYTES} at most: remove comments "
                "or long lists (the studio's editor keeps what you type)"
            ],
        )
    return parse_config(text, "the configuration")


def save(text: str, *, based_on: int | None, by: str, note: str) -> int:
    """Validate and store ``text`` as the new version; return its number.

    ``based_on``: the version the editor started from (None: whatever is there).
    """
    import hashlib

    from portevoix.core import runtime

    model = check(text)
    name = parameter()
    ssm = aws.client("ssm")
    if based_on is not None:
        _, now = current()
        if now != based_on:
            raise ConfigConflict(
                f"the configuration changed since you opened it (version {based_on}, "
                f"now {now}): reload the page and make your change again"
            )
    # The functions read this version compiled, without validating it again at each cold start.
    runtime.remember(model, hashlib.sha256(text.encode()).hexdigest())
    written = ssm.put_parameter(
        Name=name,
        Value=text,
        Type="String",
        Overwrite=True,
        Tier="Intelligent-Tiering",
        Description=f"{by}: {note}"[:1024],
    )
    runtime.reset()  # this container reads the new version at once; others within CONFIG_MAX_AGE
    for hook in after_save:
        hook(text)
    return int(written["Version"])


def history(limit: int = 20) -> list[Version]:
    """The latest versions, newest first (SSM keeps 100)."""
    ssm = aws.client("ssm")
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"Name": parameter(), "MaxResults": 50}
    while True:
        page = ssm.get_parameter_history(**kwargs)
        found += page["Parameters"]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    found.sort(key=lambda p: int(p["Version"]), reverse=True)
    return [
        Version(
            number=int(p["Version"]),
            modified=p["LastModifiedDate"],
            note=p.get("Description") or "",
            text=p["Value"],
        )
        for p in found[:limit]
    ]


def restore(number: int, *, by: str) -> int:
    """Make version ``number`` the current one again (as a new version)."""
    old = next((v for v in history(100) if v.number == number), None)
    if old is None:
        raise ConfigError("the configuration", [f"version {number} is not kept any more"])
    return save(old.text, based_on=None, by=by, note=f"restored version {number}")


def edited(text: str, change: Callable[[dict[str, Any]], None]) -> str:
    """The YAML after ``change`` edited its data (comments are not kept: the data is)."""
    import yaml

    data = yaml.safe_load(text) or {}
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def diff(old: str, new: str) -> list[str]:
    """The changed lines, as a unified diff without its header."""
    import difflib

    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)
    return [line for line in lines if not line.startswith(("---", "+++"))]
