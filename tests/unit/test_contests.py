"""The draw's procedure and the entry rules, on entries written by hand."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from portevoix.contests import draw, rules
from tests.helpers import ROOT, make_config

SEED = "5f" * 32
SALT = "a1b2c3d4e5f60718"


def published(eligible: list[str], winners: int = 2, substitutes: int = 1, n: int = 1) -> dict:
    won, subs = draw.result(SEED, eligible, winners, substitutes, n)
    return {
        "seed": SEED,
        "commitment": draw.commitment(SEED),
        "salt": SALT,
        "draw": n,
        "eligible": sorted(eligible),
        "winners_count": winners,
        "substitutes_count": substitutes,
        "winners": won,
        "substitutes": subs,
    }


def readme_script() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- verify-draw -->\s*```python\n(.*?)```", text, re.S)
    assert block, "the README shows the verification script"
    return block.group(1)


def rerun(tmp_path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """The README's script on a published draw, in a clean interpreter (standard library only,
    not this package): what anyone would find."""
    (tmp_path / "draw.json").write_text(json.dumps(record), encoding="utf-8")
    (tmp_path / "verify.py").write_text(readme_script(), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "verify.py"), str(tmp_path / "draw.json")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("n", [1, 2])
def test_the_readme_script_finds_the_same_winners(tmp_path: Path, n: int) -> None:
    eligible = [draw.pseudonym(SALT, "mastodon", f"fan{i}@example.social") for i in range(40)]
    record = published(eligible, winners=3, substitutes=2, n=n)
    assert rerun(tmp_path, record) == {
        "winners": record["winners"],
        "substitutes": record["substitutes"],
    }
    assert draw.verify(record)


def test_a_draw_holds_only_with_the_committed_seed_and_its_own_winners() -> None:
    eligible = [draw.pseudonym(SALT, "bluesky", f"p{i}.bsky.social") for i in range(10)]
    record = published(eligible)
    assert draw.verify(record)
    assert not draw.verify({**record, "seed": "00" * 32})
    assert not draw.verify({**record, "winners": list(reversed(record["winners"]))})
    assert draw.result(SEED, eligible, 2, 1, 2) != draw.result(SEED, eligible, 2, 1, 1)
    assert draw.result(SEED, eligible, 2, 1) == draw.result(SEED, list(reversed(eligible)), 2, 1)
    assert draw.pseudonym(SALT, "mastodon", "@Bob") == draw.pseudonym(SALT, "mastodon", "bob")


def contest(**spec: Any) -> dict[str, Any]:
    return {
        "contest_id": "c1",
        "salt": SALT,
        "starts": "2026-12-04T09:00:00Z",
        "ends": "2026-12-11T17:00:00Z",
        "spec": {
            "exclude": ["troll"],
            "winners": 1,
            "substitutes": 0,
            "entry": {},
            **spec,
        },
    }


def entry(handle: str, at: str = "2026-12-05T10:00:00Z", text: str = "Je participe", **kw: Any):
    return {
        "SK": kw.pop("SK", f"E#mastodon#{handle}{at}{text}"),
        "network": "mastodon",
        "account": "masto",
        "post_ref": "100",
        "ref": kw.pop("ref", f"r-{handle}-{at}"),
        "author_id": f"id-{handle}",
        "handle": f"@{handle}",
        "text": text,
        "published": at,
        **kw,
    }


def judged(c: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, str]:
    config = make_config(
        inbox={"own_accounts": ["@cyclia"]},
        team=[{"email": "camille@brand.example", "handles": ["@camille_cm"]}],
    )
    counted = rules.evaluate(c, entries, config)
    out = {e.entry["ref"]: "eligible" for e in counted.eligible}
    out.update({e.entry["ref"]: rules.describe(e.reason, "en") for e in counted.excluded})
    return out


def test_one_entry_per_account_the_earliest_valid_one_and_every_other_reason() -> None:
    c = contest(entry={"hashtag": "#Urban3", "tag_friends": 2})
    ok = "Je tente ma chance #urban3 @ami1 @ami2@autre.social"
    found = judged(
        c,
        [
            entry("bob", "2026-12-05T10:00:00Z", ok),
            entry("bob", "2026-12-05T09:00:00Z", "trop tôt, sans hashtag"),  # invalid, then valid
            entry("bob", "2026-12-06T10:00:00Z", ok),  # a second valid one
            entry("carol", "2026-12-04T08:59:59Z", ok),  # before the start
            entry("dave", "2026-12-11T17:00:01Z", ok),  # after the end
            entry("erin", text="#urban3 @ami1 @erin @cyclia"),  # herself and the brand do not count
            entry("troll", text=ok),
            entry("cyclia", text=ok, own=True),
            entry("camille_cm", text=ok),
            entry("frank", "2026-12-07T10:00:00Z", ok, ref="f2", SK="E#mastodon#f2"),
            entry("frank", "2026-12-07T10:00:00Z", ok, ref="f1", SK="E#mastodon#f1"),  # a tie
        ],
    )
    assert found == {
        "r-bob-2026-12-05T10:00:00Z": "eligible",
        "r-bob-2026-12-05T09:00:00Z": "without #urban3",
        "r-bob-2026-12-06T10:00:00Z": "another entry of the same account",
        "r-carol-2026-12-04T08:59:59Z": "before the start",
        "r-dave-2026-12-11T17:00:01Z": "after the end",
        "r-erin-2026-12-05T10:00:00Z": "tags 1 friend(s) of 2",
        "r-troll-2026-12-05T10:00:00Z": "excluded by the rules",
        "r-cyclia-2026-12-05T10:00:00Z": "the brand's own account",
        "r-camille_cm-2026-12-05T10:00:00Z": "the brand's team",
        # The same second: the reply with the smaller id counts, on every reading.
        "f1": "eligible",
        "f2": "another entry of the same account",
    }


def test_reposts_and_account_age_where_the_network_says_them() -> None:
    c = contest(entry={"repost": True}, min_account_age_days=30)
    c["reposts"] = {"masto:100": ["id-old", "id-young"]}
    found = judged(
        c,
        [
            entry("old", author_created_at="2025-01-01T00:00:00Z"),
            entry("young", author_created_at="2026-11-20T00:00:00Z"),
            entry("norepost", author_created_at="2025-01-01T00:00:00Z"),
            entry("unknown"),
        ],
    )
    assert found["r-old-2026-12-05T10:00:00Z"] == "eligible"
    assert found["r-young-2026-12-05T10:00:00Z"] == "account 15 day(s) old (at least 30)"
    assert found["r-norepost-2026-12-05T10:00:00Z"] == "did not repost"
    assert found["r-unknown-2026-12-05T10:00:00Z"] == "did not repost"
    c["reposts"] = {}  # a network that does not show reposts: the rule cannot apply
    found = judged(c, [entry("unknown")])
    assert found["r-unknown-2026-12-05T10:00:00Z"] == "account age unknown"
