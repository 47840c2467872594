"""A contest's life: declared, committed, entries collected, drawn, archived, announced.

``CONTEST#<id>`` / ``CONTEST`` holds the declaration, the commitment and the
draws; ``E#<network>#<id>`` under the same partition holds each reply read
from the contest's posts (a reply is stored once; eligibility is decided at
the draw, by ``rules.evaluate``, the same way on every reading). The seed is
a SecureString (``/<SecretsPath>/contests/<id>``) until the draw publishes it.
"""

from __future__ import annotations

import csv
import io
import json
import secrets as _random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from portevoix.contests import draw, rules
from portevoix.core import store
from portevoix.core.errors import ConfigError, ContestError
from portevoix.core.timeutil import iso, parse_iso

if TYPE_CHECKING:
    from portevoix.contests.spec import Spec

INDEX = "CONTESTS"
MAX_DAYS = 120  # contests are read while they started less than this ago


def parse(data: Any, config: Any, now: datetime | None = None, source: str = "contest") -> Spec:
    """A valid declaration, or a ConfigError naming each problem."""
    from portevoix.contests.spec import validate

    spec = validate(data, source)
    problems = []
    now = now or datetime.now(UTC)
    starts, ends = local(spec.starts, config), local(spec.ends, config)
    if ends <= starts:
        problems.append("ends: must be after starts")
    elif ends - starts > timedelta(days=MAX_DAYS - 30):
        problems.append(f"ends: a contest runs {MAX_DAYS - 30} days at most")
    if starts < now - timedelta(minutes=5):
        problems.append(
            "starts: already past; the commitment must be published before the first entry"
        )
    known = {a.key for a in config.accounts}
    for i, target in enumerate(spec.posts):
        account, sep, ref = target.partition(":")
        if sep and account not in known:
            problems.append(f"posts[{i}]: no account {account!r} (known: {sorted(known)})")
        elif not sep and store.get(*store.post_key(target)) is None:
            problems.append(f"posts[{i}]: no post {target!r} (or write ACCOUNT:REF)")
    if problems:
        raise ConfigError(source, problems)
    return spec


def late(contest: dict[str, Any]) -> timedelta:
    """How long after the end the last entries are read (the draw waits for it)."""
    return timedelta(minutes=int(contest["spec"].get("late_minutes", 60)))


def local(when: datetime, config: Any) -> datetime:
    return (when if when.tzinfo else when.replace(tzinfo=config.tz)).astimezone(UTC)


def key(contest_id: str) -> store.Key:
    return f"CONTEST#{contest_id}", "CONTEST"


def get(contest_id: str) -> dict[str, Any] | None:
    if not contest_id or not contest_id.replace("-", "").isalnum() or len(contest_id) > 40:
        return None
    return store.get(*key(contest_id))


def listed(since: datetime | None = None) -> list[dict[str, Any]]:
    """Every contest (starting from ``since`` when given), by start."""
    return store.query_gsi1(INDEX, iso(since) if since else None)


def seed_ref(contest_id: str) -> str:
    from portevoix.accounts.connect import secrets_path

    return f"ssm:/{secrets_path()}/contests/{contest_id}"


def create(config: Any, spec: Spec, by: str, now: datetime | None = None) -> dict[str, Any]:
    """Store the contest and commit to its seed (published from now on, before any entry)."""
    from portevoix.core import secrets

    now = now or datetime.now(UTC)
    contest_id = now.strftime("%Y%m%d") + "-" + _random.token_hex(4)
    seed = draw.new_seed()
    secrets.store(seed_ref(contest_id), seed)
    starts, ends = local(spec.starts, config), local(spec.ends, config)
    item = store.with_key(
        key(contest_id),
        contest_id=contest_id,
        title=spec.title,
        spec=spec.model_dump(mode="json"),
        starts=iso(starts),
        ends=iso(ends),
        status="scheduled" if now < starts else "open",
        commitment=draw.commitment(seed),
        salt=_random.token_hex(8),
        committed_at=iso(now),
        created_by=by,
        created_at=iso(now),
        entries=0,
        eligible=0,
        draws=[],
        GSI1PK=INDEX,
        GSI1SK=f"{iso(starts)}#{contest_id}",
    )
    store.put(item)
    return item


# -- entries ---------------------------------------------------------------------------------


def targets(contest: dict[str, Any]) -> list[tuple[str, str]]:
    """(account, ref) of every post the contest runs on that is out now."""
    out = []
    for target in contest["spec"]["posts"]:
        account, sep, ref = target.partition(":")
        if sep:
            out.append((account, ref))
            continue
        post = store.get(*store.post_key(target)) or {}
        for entry in store.batch_get(
            [store.publication_key(target, a) for a in post.get("accounts") or []]
        ):
            if entry.get("status") == "published" and entry.get("ref"):
                out.append((entry["account"], entry["ref"]))
    return out


def collect(
    config: Any, now: datetime | None = None, networks: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Read the replies under every running contest's posts; store the new ones."""
    from portevoix.networks import NetworkError, build

    now = now or datetime.now(UTC)
    summary: dict[str, Any] = {"read": 0, "new": 0, "failed": []}
    for contest in listed(now - timedelta(days=MAX_DAYS)):
        if contest["status"] not in ("scheduled", "open"):
            continue
        starts, ends = parse_iso(contest["starts"]), parse_iso(contest["ends"])
        if now < starts:
            continue
        reposts: dict[str, list[str]] = dict(contest.get("reposts") or {})
        for account_key, ref in targets(contest):
            account = config.account(account_key)
            if account is None:
                summary["failed"].append({"contest": contest["contest_id"], "error": account_key})
                continue
            try:
                net = (networks or {}).get(account_key) or build(account, config)
                replies = net.replies_to(ref)
                if contest["spec"]["entry"].get("repost"):
                    shared = net.reposted_by(ref)
                    if shared is not None:
                        reposts[f"{account_key}:{ref}"] = sorted(shared)
            except (NetworkError, ContestError) as exc:
                summary["failed"].append({"contest": contest["contest_id"], "error": str(exc)})
                continue
            summary["read"] += len(replies)
            items = [
                store.with_key(
                    (f"CONTEST#{contest['contest_id']}", f"E#{m.source}#{m.source_id}"),
                    network=account.network,
                    account=account_key,
                    post_ref=ref,
                    ref=m.ref,
                    author_id=str(m.extra.get("author_id") or m.author_handle),
                    handle=m.author_handle,
                    name=m.author,
                    text=m.text[:1000],
                    published=m.published,
                    author_created_at=m.extra.get("author_created_at"),
                    mentions=list(m.extra.get("mentions") or []),
                    own=bool(m.extra.get("own")) or None,
                    url=m.url,
                    read_at=iso(now),
                )
                for m in replies
            ]
            summary["new"] += sum(1 for item in items if store.put_if_absent(item))
        closed = now >= ends + late(contest)
        stored = entries(contest["contest_id"])
        counted = rules.evaluate({**contest, "reposts": reposts}, stored, config)
        store.update(
            *key(contest["contest_id"]),
            {
                "status": "closed" if closed else "open",
                "reposts": reposts or None,
                "entries": len(stored),
                "eligible": len(counted.eligible),
                "read_at": iso(now),
            },
            condition=("status", ("scheduled", "open")),
        )
    return summary


def entries(contest_id: str) -> list[dict[str, Any]]:
    return store.query(f"CONTEST#{contest_id}", "E#", "E#\uffff")


# -- the draw --------------------------------------------------------------------------------


def run_draw(
    config: Any,
    contest_id: str,
    by: str,
    *,
    redraw: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Draw the winners (or return the draw already made); a redraw only when asked, logged.

    Returns the draw: its public record, the winners and substitutes with their handles.
    """
    from portevoix.core import secrets

    now = now or datetime.now(UTC)
    contest = get(contest_id)
    if contest is None:
        raise ContestError(f"no contest {contest_id}")
    draws = list(contest.get("draws") or [])
    if draws and not redraw:
        return draws[-1]  # drawing again gives the same result
    if redraw and not reason.strip():
        raise ContestError("a redraw needs a reason (it is published with it)")
    if contest["status"] not in ("closed", "drawn"):
        raise ContestError(
            f"the contest ends {contest['ends']} and its last entries are read "
            f"{int(late(contest).total_seconds() // 60)} minutes later: draw after that"
        )
    seed = secrets.resolve(seed_ref(contest_id), fresh=True)
    if draw.commitment(seed) != contest["commitment"]:
        raise ContestError("the stored seed does not match the published commitment: no draw")
    stored = entries(contest_id)
    counted = rules.evaluate(contest, stored, config)
    n = len(draws) + 1
    spec = contest["spec"]
    winners, substitutes = int(spec["winners"]), int(spec["substitutes"])
    won, subs = draw.result(seed, [e.pseudonym for e in counted.eligible], winners, substitutes, n)
    by_pseudonym = {e.pseudonym: e for e in counted.eligible}
    public = {
        "procedure": draw.PROCEDURE,
        "contest": contest_id,
        "title": contest["title"],
        "starts": contest["starts"],
        "ends": contest["ends"],
        "commitment": contest["commitment"],
        "committed_at": contest["committed_at"],
        "salt": contest["salt"],
        "seed": seed,
        "draw": n,
        "reason": reason.strip() or None,
        "eligible": sorted(by_pseudonym),
        "excluded": [{"pseudonym": x.pseudonym, "reason": x.reason} for x in counted.excluded],
        "winners_count": winners,
        "substitutes_count": substitutes,
        "winners": won,
        "substitutes": subs,
        "drawn_at": iso(now),
    }

    def person(p: str) -> dict[str, Any]:
        e = by_pseudonym[p]
        return {
            "pseudonym": p,
            "handle": e.entry["handle"],
            "network": e.entry["network"],
            "account": e.entry["account"],
            "ref": e.entry["ref"],
        }

    record = {
        "n": n,
        "at": iso(now),
        "by": by,
        "reason": reason.strip() or None,
        "winners": [person(p) for p in won],
        "substitutes": [person(p) for p in subs],
        "eligible": len(counted.eligible),
        "excluded": len(counted.excluded),
        "archive": archive(contest_id, n, public, counted, config.language),
    }
    claimed = store.update(
        *key(contest_id),
        # The published record, kept as the very text served and archived.
        {"draws": [*draws, record], "status": "drawn", "public": _public_text(public)},
        condition=("status", ("closed", "drawn")),
    )
    if not claimed:
        raise ContestError("the contest changed during the draw: try again")
    current = get(contest_id) or {}
    if len(current.get("draws") or []) != n:  # two members drew at once: theirs stands
        return current["draws"][-1]
    return record


def _public_text(public: dict[str, Any]) -> str:
    return json.dumps(public, ensure_ascii=False, indent=1)


def published(contest: dict[str, Any]) -> dict[str, Any] | None:
    """The last draw as published (its JSON), or None before the draw."""
    return json.loads(contest["public"]) if contest.get("public") else None


def archive(
    contest_id: str, n: int, public: dict[str, Any], counted: Any, lang: str
) -> dict[str, str]:
    """The legal record in the bucket: the public draw (JSON) and every entry (CSV)."""
    from portevoix.core import aws, settings

    bucket = settings.data_bucket()
    if not bucket:
        raise ContestError("DATA_BUCKET is not set: the draw must be archived, so none is made")
    base = f"contests/{contest_id}/draw-{n}"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["pseudonym", "network", "handle", "published", "status", "code", "reason", "entry", "text"]
    )
    for e in counted.eligible:
        writer.writerow(_row(e, "eligible", "", ""))
    for x in counted.excluded:
        writer.writerow(_row(x, "excluded", x.reason, rules.describe(x.reason, lang)))
    files = {
        f"{base}.json": (_public_text(public), "application/json"),
        f"{base}-entries.csv": ("\ufeff" + out.getvalue(), "text/csv; charset=utf-8"),
    }
    for name, (body, ctype) in files.items():
        aws.client("s3").put_object(
            Bucket=bucket,
            Key=name,
            Body=body.encode("utf-8"),
            ContentType=ctype,
            ServerSideEncryption="AES256",
        )
    return {"json": f"{base}.json", "csv": f"{base}-entries.csv"}


def _row(e: Any, status: str, code: str, reason: str) -> list[str]:
    from portevoix.reporting.export import cell

    entry = e.entry
    return [
        cell(e.pseudonym),
        cell(entry["network"]),
        cell(entry["handle"]),
        cell(entry.get("published") or ""),
        status,
        code,
        cell(reason),
        cell(entry.get("url") or entry["ref"]),
        cell((entry.get("text") or "")[:500]),
    ]


# -- after the draw ----------------------------------------------------------------------------


def public_url(contest_id: str) -> str:
    from portevoix.core import settings

    return f"{settings.links_base_url()}/c/{contest_id}"


def announce(config: Any, contest_id: str, by: str) -> dict[str, Any]:
    """The post naming the winners, on the contest's accounts, sent for approval (once)."""
    from portevoix.core.i18n import t
    from portevoix.publishing import posts

    contest = get(contest_id)
    if contest is None or not contest.get("draws"):
        raise ContestError("draw the winners first")
    if contest.get("announcement"):
        return posts.get(contest["announcement"])
    winners = contest["draws"][-1]["winners"]
    handles = ", ".join(w["handle"] for w in winners)
    accounts = sorted(
        {account for account, _ in targets(contest)} & {a.key for a in config.accounts}
    )
    if not accounts:
        raise ContestError("none of the contest's posts is out on a configured account")
    variants = {}
    for account in accounts:
        lang = getattr(config.account(account), "language", None) or config.language
        variants[account] = {
            "text": t(
                lang,
                "contest.announce_text",
                title=contest["title"],
                handles=handles,
                url=public_url(contest_id),
            )
        }
    draft = posts.parse_draft(
        {"author": by, "title": f"{contest['title']} — résultats", "variants": variants}, config
    )
    post = posts.create(config, draft)
    if not store.update(
        *key(contest_id), {"announcement": post["post_id"]}, condition=("status", ("drawn",))
    ):
        posts.cancel(post["post_id"], by=by, why="contest changed")
        raise ContestError("the contest changed meanwhile: try again")
    posts.start(post)
    return post


def message_winners(
    config: Any, contest_id: str, by: str, networks: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Answer each winner's entry with ``winner_message``, each once (a retry skips the sent)."""
    from portevoix.core.i18n import t
    from portevoix.inbox.replies import sandbox
    from portevoix.networks import NetworkError, build

    contest = get(contest_id)
    if contest is None or not contest.get("draws"):
        raise ContestError("draw the winners first")
    last = contest["draws"][-1]
    spec = contest["spec"]
    sent, skipped, failed = [], [], []
    for winner in last["winners"]:
        account = config.account(winner["account"])
        if account is None:
            failed.append({"handle": winner["handle"], "error": f"no account {winner['account']}"})
            continue
        lang = account.language or config.language
        values = {
            "handle": winner["handle"],
            "title": contest["title"],
            "rules_url": spec["rules_url"],
        }
        source = spec.get("winner_message") or t(lang, "contest.winner_default")
        text = sandbox().from_string(source).render(**values)
        marker = (f"CONTEST#{contest_id}", f"SENT#{last['n']}#{winner['pseudonym']}")
        if not store.put_if_absent(store.with_key(marker, by=by, at=iso(datetime.now(UTC)))):
            skipped.append(winner["handle"])
            continue
        try:
            net = (networks or {}).get(winner["account"]) or build(account, config)
            net.reply(
                winner["ref"], text, key=f"contest:{contest_id}:{last['n']}:{winner['pseudonym']}"
            )
        except NetworkError as exc:
            store.delete(*marker)  # not sent: the next try sends it
            failed.append({"handle": winner["handle"], "error": str(exc)[:300]})
            continue
        sent.append(winner["handle"])
    return {"sent": sent, "skipped": skipped, "failed": failed}
