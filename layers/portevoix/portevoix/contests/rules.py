"""Which replies are entries: the declared rules, applied the same way on every reading.

An entry is kept when it is not the brand's or the team's, not excluded by
name, published between the start and the end, carries the hashtag, tags
enough friends, reposted where the network shows reposts, and comes from an
account old enough (unknown age fails a minimum age). One entry per account:
its earliest valid one (ties broken by the reply's id); every other reply is
listed with the reason it does not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from portevoix.contests import draw
from portevoix.core.timeutil import parse_iso

HANDLE = re.compile(r"(?<![\w@])@([\w.-]+(?:@[\w.-]+\.\w+)?)")


@dataclass
class Judged:
    entry: dict[str, Any]
    pseudonym: str
    reason: str = ""


@dataclass
class Counted:
    eligible: list[Judged] = field(default_factory=list)
    excluded: list[Judged] = field(default_factory=list)


def _bare(handle: str) -> str:
    return str(handle or "").strip().lstrip("@").lower()


def tagged(entry: dict[str, Any], brand: set[str]) -> set[str]:
    """The distinct accounts an entry names (the brand's and the author's own left out): from
    its text, or from the network's list of mentions when that names more (Bluesky's are DIDs)."""
    author = _bare(entry.get("handle"))

    def keep(names: set[str]) -> set[str]:
        return {n for n in names if n and n != author and n.split("@")[0] not in brand}

    written = keep({_bare(m) for m in HANDLE.findall(entry.get("text") or "")})
    listed = keep({_bare(m) for m in entry.get("mentions") or [] if m})
    return written if len(written) >= len(listed) else listed


def describe(code: str, lang: str) -> str:
    """A reason's code (``tags:1:2``, as published in draw.json) as a person reads it."""
    from portevoix.core.i18n import t

    name, *values = code.split(":")
    return t(
        lang,
        f"contest.why.{name}",
        a=values[0] if values else "",
        b=values[1] if len(values) > 1 else "",
    )


def reason(contest: dict[str, Any], entry: dict[str, Any], team: set[str]) -> str:
    """Why a reply does not count, as a code ("" when it does): ``own``, ``team``,
    ``excluded``, ``before``, ``after``, ``hashtag:<tag>``, ``tags:<n>:<wanted>``,
    ``repost``, ``age_unknown``, ``age:<days>:<minimum>``; ``duplicate`` at evaluation."""
    spec = contest["spec"]
    rules = spec.get("entry") or {}
    handle = _bare(entry.get("handle"))
    short = handle.split("@")[0]
    if entry.get("own"):
        return "own"
    if handle in team or short in team:
        return "team"
    if handle in spec.get("exclude", []) or short in spec.get("exclude", []):
        return "excluded"
    published = parse_iso(entry.get("published"))
    if published is None or published < parse_iso(contest["starts"]):
        return "before"
    if published > parse_iso(contest["ends"]):
        return "after"
    tag = (rules.get("hashtag") or "").lstrip("#").lower()
    if tag and f"#{tag}" not in re.findall(r"#\w+", (entry.get("text") or "").lower()):
        return f"hashtag:{tag}"
    wanted = int(rules.get("tag_friends") or 0)
    if wanted:
        count = len(tagged(entry, team))
        if count < wanted:
            return f"tags:{count}:{wanted}"
    if rules.get("repost"):
        shared = (contest.get("reposts") or {}).get(f"{entry['account']}:{entry['post_ref']}")
        if shared is not None and str(entry.get("author_id")) not in set(shared):
            return "repost"
    days = spec.get("min_account_age_days")
    if days:
        created = parse_iso(entry.get("author_created_at"))
        if created is None:
            return "age_unknown"
        age = (published - created).days
        if age < int(days):
            return f"age:{age}:{days}"
    return ""


def evaluate(contest: dict[str, Any], entries: list[dict[str, Any]], config: Any) -> Counted:
    """The eligible entries (one per account) and the others with their reason."""
    team = {_bare(h) for h in config.inbox.own_accounts}
    team |= {_bare(h) for m in config.team for h in m.handles}
    salt = contest["salt"]
    out = Counted()
    best: dict[str, Judged] = {}
    order = sorted(entries, key=lambda e: (e.get("published") or "", e.get("SK") or e["ref"]))
    for entry in order:
        who = draw.pseudonym(salt, entry["network"], entry["handle"])
        why = reason(contest, entry, team)
        if why:
            out.excluded.append(Judged(entry, who, why))
        elif who in best:
            out.excluded.append(Judged(entry, who, "duplicate"))
        else:
            best[who] = Judged(entry, who)
    out.eligible = list(best.values())
    return out
