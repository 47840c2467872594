"""``portevoix``: the command line of the local mode.

Exit codes: 0 done, 1 done but some feeds failed (the rest is stored),
2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from portevoix.accounts import health
from portevoix.core import aws, runtime, store
from portevoix.core.config import load_config, parse_config
from portevoix.core.errors import ConfigError, PortevoixError, ReportError
from portevoix.inbox import crisis, inbound, moderation, replies
from portevoix.inbox import filing as inbox_mod
from portevoix.inbox.replies import suggestions
from portevoix.networks import Variant, build, publish_once
from portevoix.publishing import approval, posts
from portevoix.reporting import digest, engagement, figures, report
from portevoix.reporting.view import headline
from portevoix_local import cost, demo, schedules
from portevoix_local.schedules import job_event as schedule_event
from portevoix_local.serve import (
    IDLE_SECONDS,
    LocalServer,
    RunningStack,
    connect,
    connect_stack,
    running,
    start_background,
    stop_running,
)
from portevoix_local.stack import FeedServer, LocalStack, default_home, handler, load_template

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


def _config_path(arg: str | None) -> Path:

    for candidate in (arg, os.environ.get("PORTEVOIX_CONFIG"), "portevoix.yaml"):
        if candidate:
            path = Path(candidate)
            if arg is None and candidate == "portevoix.yaml" and not path.exists():
                break
            return path
    raise ConfigError(
        "command line",
        [
            "no configuration: pass --config FILE, set PORTEVOIX_CONFIG, or create ./portevoix.yaml "
            "(copy config/example.yaml to start)"
        ],
    )


def _load(arg: str | None) -> tuple[Any, str]:

    path = _config_path(arg)
    config = load_config(path)  # validates, naming the file in any error
    return config, path.read_text(encoding="utf-8")


def _stack(args: argparse.Namespace, config: Any, text: str) -> Any:
    """The local stack of this home: ``local serve``, or one started in the background."""
    home = _home(args)
    if not running(home):
        try:
            start_background(home, _config_path(args.config).resolve())
        except RuntimeError as exc:
            raise PortevoixError(str(exc)) from None
        print(
            f"(local stack started in the background for {home}: it stops after "
            f"{int(float(os.environ.get('PORTEVOIX_LOCAL_IDLE_SECONDS') or IDLE_SECONDS))} s "
            "idle, or with `portevoix local stop`)",
            file=sys.stderr,
        )
    return RunningStack(home, config_text=text, sender=config.sender)


def _print_poll(report: dict[str, Any], out: Any = sys.stdout) -> None:
    """The poll as a person reads it: feeds and accounts counted apart, named, not hashed."""
    p = out.write

    def is_account(entry: dict[str, Any]) -> bool:
        return str(entry.get("feed", "")).startswith("account:")

    feed_failed = [f for f in report["failed"] if not is_account(f)]
    feed_skipped = [f for f in report["skipped"] if not is_account(f)]
    accounts_failed = [f for f in report["failed"] if is_account(f)]
    p(
        f"Polled {report['polled']} of {report['feeds']} feed(s): {report['fetched']} fetched, "
        f"{report['not_modified']} not modified, {report['unchanged']} unchanged, "
        f"{len(feed_failed)} failed, {len(feed_skipped)} skipped.\n"
    )
    if report.get("accounts") or accounts_failed:
        p(
            f"Read {report.get('accounts', 0)} account(s): {report.get('network_mentions', 0)} "
            f"new mention(s), {len(accounts_failed)} failed.\n"
        )
    p(f"{report['new_items']} new item(s), {report['mentions']} new brand mention(s).\n")
    for f in report["failed"]:
        p(f"  FAILED  {f.get('name') or f['feed']}: {f['error']}\n")
    for f in report["skipped"]:
        p(f"  skipped {f.get('name') or f['feed']}: {f['reason']}\n")
    for f in report["warnings"]:
        p(f"  warning {f.get('name') or f['feed']}: {f['warning']}\n")


def cmd_veille(args: argparse.Namespace) -> int:

    config, text = _load(args.config)
    with _stack(args, config, text) as stack:
        report = stack.invoke(handler("veille"), schedule_event("veille-now"), "portevoix-veille")
        stack.deliver_stream()  # new mentions are classified and urgent ones emailed
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_poll(report)
    return EXIT_PARTIAL if report["failed"] else EXIT_OK


def cmd_digest(args: argparse.Namespace) -> int:

    config, text = _load(args.config)
    with _stack(args, config, text) as stack:
        sent = digest.send(config)
        where = stack.outbox
    if args.json:
        print(json.dumps({"sent": sent, "outbox": str(where)}, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not sent:
        print("No digest sent: nobody in the team receives it (team[].digest).")
    for s in sent:
        print(f"Digest ({s['lang']}) sent to {', '.join(s['to'])}: {s['subject']}")
        if s.get("html"):
            print(f"  {s['html']}\n  {s['eml']}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    config, text = _load(args.config)
    try:
        week = (
            report.Week.parse(args.week, config.tz)
            if args.week
            else report.Week.last_complete(datetime.now(UTC), config.tz)
        )
    except ReportError as exc:
        raise ConfigErrorForCli(str(exc)) from None
    with _stack(args, config, text) as stack:
        collected = engagement.collect(config).to_dict()  # fresh numbers; failures are listed
        built = report.build(config, week)
        files: list[str] = []
        sent: list[dict[str, Any]] = []
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            for lang in config.recipients("report") or {config.language: []}:
                rendered = report.render(config, built, lang)
                base = out / f"report-{week.label}-{lang}"
                base.with_suffix(".html").write_text(rendered.html, encoding="utf-8")
                base.with_suffix(".txt").write_text(rendered.text, encoding="utf-8")
                files += [str(base.with_suffix(".html")), str(base.with_suffix(".txt"))]
            csv_path = out / report.csv_name(config, week)
            csv_path.write_bytes(report.to_csv(built.current, built.previous))
            files.append(str(csv_path))
        else:
            sent = report.send(config, week, built=built)
        outbox = str(stack.outbox)
    summary = {
        d.kpi: {"this_week": d.current, "previous_week": d.previous}
        for d in figures.compare(built.current, built.previous)
    }
    if args.json:
        print(
            json.dumps(
                {
                    "week": week.label,
                    "summary": summary,
                    "headline": headline(built.current, built.previous, "en"),
                    "engagement": collected,
                    "files": files,
                    "sent": sent,
                    "outbox": outbox,
                },
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
        return EXIT_OK
    lang = config.language
    print(
        f"Report {week.label} ({built.week.start:%Y-%m-%d %H:%M}Z to {built.week.end:%Y-%m-%d %H:%M}Z)"
    )
    print(f"  {headline(built.current, built.previous, lang)}")
    for kpi, values in summary.items():
        print(f"  {kpi:16} {values['this_week']!s:>10}  (previous week {values['previous_week']})")
    for failure in collected["failed"]:
        print(f"  engagement not read for {failure['account']}: {failure['error']}")
    for path in files:
        print(f"  wrote {path}")
    for s in sent:
        print(f"  sent ({s['lang']}) to {', '.join(s['to'])}: {s['subject']}")
        if s.get("html"):
            print(f"    {s['html']}")
    if not files and not sent:
        print("  Nobody receives the report (team[].report): nothing sent.")
    return EXIT_OK


def cmd_cost(args: argparse.Namespace) -> int:

    config, _ = _load(args.config)
    for name in (
        "items_per_day",
        "mentions_per_day",
        "posts_per_week",
        "contest_entries",
        "subscribers",
    ):
        value = getattr(args, name)
        if value is not None and value < 0:
            raise ConfigErrorForCli(f"--{name.replace('_', '-')} must not be negative")
    workload = cost.Workload.from_config(
        config,
        items_per_day=args.items_per_day,
        mentions_per_day=args.mentions_per_day,
        posts_per_week=args.posts_per_week,
        contest_entries=args.contest_entries,
        subscribers=args.subscribers,
    )
    est = cost.estimate(workload)
    print(json.dumps(est.to_dict(), indent=2) if args.json else cost.render(est))
    return EXIT_OK


def cmd_accounts(args: argparse.Namespace) -> int:

    config, text = _load(args.config)
    if not config.accounts:
        print("No accounts in the configuration (see `accounts:` in config/example.yaml).")
        return EXIT_OK
    with _stack(args, config, text):
        statuses = health.check(config)
    if args.json:
        print(json.dumps([s.to_dict() for s in statuses], ensure_ascii=False, indent=2))
    else:
        for s in statuses:
            who = f" {s.identity}" if s.identity else ""
            print(f"{s.status.upper():9} {s.account} ({s.network}){who}: {s.detail}")
            if s.notes:
                print(f"{'':9} fr : {s.notes['fr']}")
    return EXIT_OK if all(s.status == "ok" for s in statuses) else EXIT_PARTIAL


def cmd_accounts_connect(args: argparse.Namespace) -> int:
    """The studio's Connect flow for one network, reached through a fresh sign-in link."""
    import webbrowser
    from urllib.parse import urlencode

    from portevoix.web import sessions

    config, text = _load(args.config)
    email = sessions.normalise_email(args.member or config.team[0].email)
    if not sessions.is_member(config, email):
        print(f"error: {email} is not in the configuration's team", file=sys.stderr)
        return EXIT_USAGE
    target = f"/accounts/connect/{args.network}"
    if args.account:
        target += "?" + urlencode({"account": args.account})
    with _stack(args, config, text) as stack:
        outcome, link_id = sessions.request_link(config, email, "cli")
        if link_id is None:
            print(f"error: too many sign-in links asked for {email}; wait an hour", file=sys.stderr)
            return EXIT_PARTIAL
        url = f"{stack.info['url']}/signin/{link_id}?" + urlencode({"next": target})
    print(f"Open this link to connect {args.network} as {email} (valid 15 minutes, once):")
    print(f"  {url}")
    print(
        f"The network sends you back to {stack.info['url']}/accounts/callback: register that "
        "address as the redirect URI of your developer app (LinkedIn, Meta, X)."
    )
    if not args.no_browser:
        webbrowser.open(url)
    return EXIT_OK


def cmd_classify(args: argparse.Namespace) -> int:
    """How the inbox would file a message, and the words that decided it."""
    from portevoix.core.text import clean_written
    from portevoix.inbox.classify import Classifier

    text = sys.stdin.read() if args.text == "-" else args.text
    text = clean_written(text, 5000).strip()
    if not text:
        print(
            "error: nothing to classify (give the text, or - to read it from stdin)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    configured = (
        args.config or os.environ.get("PORTEVOIX_CONFIG") or Path("portevoix.yaml").exists()
    )
    classifier = Classifier.for_config(_load(args.config)[0]) if configured else Classifier()
    result = classifier.classify(text, author=args.author or "")
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return EXIT_OK
    print(
        f"{result.intent} · {result.sentiment} ({result.score:+.2f}) · urgency {result.urgency}"
        f" · {result.language}"
        + (" · VIP" if result.vip else "")
        + (" · own" if result.own else "")
    )
    for intent, words in result.signals.items():
        print(f"  {intent}: {', '.join(words)}")
    if not result.signals:
        print("  (no word of the lists: filed as other)")
    return EXIT_OK


def cmd_inbox(args: argparse.Namespace) -> int:

    config, text = _load(args.config)
    with _stack(args, config, text):
        rows = store.query_gsi1(store.inbox_index(args.status))
        items = [
            {
                "id": store.id_of(m["PK"]),
                "short_id": replies.short_id(store.id_of(m["PK"])),
                "status": m.get("status"),
                "intent": m.get("intent"),
                "sentiment": m.get("sentiment"),
                "urgency": m.get("urgency"),
                "source": m.get("source"),
                "author": m.get("author_handle") or m.get("author") or m.get("feed_name"),
                "text": m.get("text") or m.get("title"),
                "link": m.get("link"),
                "received_at": m.get("received_at"),
                "response_seconds": m.get("response_seconds"),
                "suggestions": suggestions(config, m),
            }
            for m in sorted(rows, key=lambda m: m.get("received_at", ""), reverse=True)
        ]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not items:
        print(f"Nothing with status {args.status}.")
    from portevoix.core.text import clean_text

    for item in items:  # strangers' text: no escape sequence reaches the terminal
        who = clean_text(item["author"] or "?", 200)
        print(
            f"{item['short_id']}\n  {item['intent']} · {item['urgency']} · {item['sentiment']} · "
            f"{who} ({item['source']})"
        )
        print(f"  {clean_text(item['text'] or '', 160)}")
        for name, body in item["suggestions"].items():
            print(f"  → {name}: {clean_text(body, 500)}")
    return EXIT_OK


MIN_PREFIX = 6


def _one(kind: str, given: str, found: list[str]) -> str:
    """The one id ``given`` names (exact, or a unique prefix of 6+ characters)."""
    if len(found) == 1 and (found[0] == given or len(given) >= MIN_PREFIX):
        return found[0]
    if len(given) < MIN_PREFIX:
        raise ConfigErrorForCli(f"{given!r}: give at least {MIN_PREFIX} characters of the id")
    if not found:
        where = (
            "`portevoix inbox`" if kind == "mention" else "the calendar or `post create`'s output"
        )
        raise ConfigErrorForCli(f"no {kind} {given!r} (its id is in {where})")
    shown = ", ".join(found[:5]) + (" …" if len(found) > 5 else "")
    raise ConfigErrorForCli(f"{given!r} names {len(found)} {kind}s ({shown}): give more of it")


def cmd_reply(args: argparse.Namespace) -> int:

    config, text = _load(args.config)
    with _stack(args, config, text):
        args.id = _one("mention", args.id, replies.matching(args.id))
        mention = replies.get(args.id)
        body = replies.render(config, args.template, mention) if args.template else args.text
        done = replies.reply(config, args.id, body)
    print(
        f"Replied to {done.get('author_handle') or done.get('author')} after {done['response_seconds']} s: {done.get('reply_url') or ''}"
    )
    return EXIT_OK


def cmd_mention(args: argparse.Namespace) -> int:

    config, text = _load(args.config)
    with _stack(args, config, text):
        args.id = _one("mention", args.id, replies.matching(args.id))
        mention = replies.get(args.id)
        if args.action == "hide":
            done = moderation.hide(config, mention, mention.get("moderation_rule") or "manual")
            print(
                f"Archived ({done['archive_key']}) then {done['status']}"
                + (f": {done['moderation_note']}" if done.get("moderation_note") else ".")
            )
        else:
            done = replies.set_status(args.id, "replied" if args.action == "handled" else "ignored")
            print(f"Mention {args.id}: {done['status']}.")
    return EXIT_OK


def cmd_freeze(args: argparse.Namespace) -> int:

    config, text = _load(args.config)
    with _stack(args, config, text):
        state = crisis.freeze(args.state == "on", by=os.environ.get("USER", "cli"), config=config)
    if state["frozen"]:
        print(
            "Publishing is frozen: a post that falls due is held (not dropped) until "
            "`portevoix freeze off`, or until someone releases it on its page."
        )
        return EXIT_OK
    print("The freeze is lifted: posts go out at their time again.")
    for post_id in state["released"]:
        print(f"  released  {post_id}: held, it goes out now")
    for post_id in state["waiting"]:
        print(
            f"  waiting   {post_id}: its time passed more than "
            f"{config.crisis.publish_held_within_minutes} min ago; publish it "
            f"(`portevoix post release {post_id}`), reschedule or cancel it"
        )
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    """``doctor --stack NAME``: one line per check of a deployed stack; exit 1 if one fails."""
    from dataclasses import asdict

    from portevoix_local import doctor

    checks = doctor.run(args.stack)
    failed = [c for c in checks if not c.ok and not c.warning]
    if args.json:
        print(json.dumps([asdict(c) for c in checks], ensure_ascii=False, indent=2))
        return 1 if failed else EXIT_OK
    for check in checks:
        print(check.line())
    print(
        f"{len(checks) - len(failed)} of {len(checks)} checks passed"
        + (f"; fix the {len(failed)} above marked FAIL." if failed else ".")
    )
    return 1 if failed else EXIT_OK


def cmd_config_check(args: argparse.Namespace) -> int:
    """``config check [FILE]``: the schema, the reply templates, and every secret readable."""
    from portevoix.core import secrets

    path = _config_path(args.file or args.config)
    config = load_config(path)  # schema and templates: one line a problem, exit 2
    problems, checked = [], 0
    deployed = None
    if args.stack:
        deployed = connect_stack(args.stack)
    for i, account in enumerate(config.all_accounts):
        ref = getattr(account, "secret", None)
        if not ref or not account.enabled:
            continue
        where = f"accounts[{i}] ({account.key}).secret"
        if not ref.startswith("env:") and deployed is None:
            problems.append(
                f"{where}: {ref} lives in AWS; this machine reads env:VARIABLE secrets "
                "(or pass --stack NAME to check against a deployed stack)"
            )
            continue
        try:
            secrets.resolve(ref, fresh=True)
            checked += 1
        except secrets.SecretError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        for problem in problems:
            print(f"{path}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    summary = {
        "file": str(path),
        "feeds": len(config.feeds),
        "accounts": len(config.accounts),
        "disabled_accounts": len(config.disabled_accounts),
        "templates": len(config.inbox.templates),
        "secrets_read": checked,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{path}: valid. {summary['feeds']} feed(s), {summary['accounts']} account(s)"
            + (f" ({summary['disabled_accounts']} disabled)" if config.disabled_accounts else "")
            + f", {summary['templates']} reply template(s); {checked} secret(s) read."
        )
        size = len(path.read_bytes())
        if size > 4096:
            print(
                f"  {size} bytes with comments: deployed, store `portevoix config compact` "
                "(a Standard SSM parameter holds 4 KB and is free; Advanced, 8 KB, $0.05 a month)"
            )
    return EXIT_OK


def cmd_config_compact(args: argparse.Namespace) -> int:
    """The configuration without comments, as the SSM parameter should hold it."""
    import yaml

    path = _config_path(args.file or args.config)
    load_config(path)  # valid first
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    sys.stdout.write(text)
    size = len(text.encode("utf-8"))
    tier = "Standard (free)" if size <= 4096 else "Advanced ($0.05 a month)"
    if size > 8192:
        tier = "too big for SSM (8 KB at most): shorten lists"
    print(f"{size} bytes: {tier}", file=sys.stderr)
    return EXIT_OK if size <= 8192 else EXIT_USAGE


def cmd_sessions(args: argparse.Namespace) -> int:
    """End every studio session of a member (a lost laptop, someone leaving)."""
    from portevoix.web import sessions

    config, text = _load(args.config)
    with _stack(args, config, text):
        ended = sessions.revoke(args.email)
    if args.json:
        print(json.dumps({"email": args.email, "ended": ended}))
    else:
        print(
            f"{ended} studio session(s) of {args.email} ended: signing in again needs a new link."
        )
    return EXIT_OK


def _home(args: argparse.Namespace) -> Path:

    return Path(args.home) if args.home else default_home()


def cmd_serve(args: argparse.Namespace) -> int:
    config, text = _load(args.config)
    home = _home(args)
    if stop_running(home):  # the stack a command started in the background: this one replaces it
        print("stopped the local stack running in the background")
    idle = float(os.environ.get("PORTEVOIX_LOCAL_IDLE_SECONDS") or IDLE_SECONDS)
    _port_free(args.port)
    server = LocalServer(
        home,
        text,
        config,
        port=args.port,
        fire_schedules=not args.background,
        idle_exit=idle if args.background else None,
        config_path=_config_path(args.config).resolve(),
    ).start()
    if args.background:
        print(f"local stack for {home} at http://127.0.0.1:{server.port}", flush=True)
    else:
        print(f"Porte-voix local stack for {config.brand.name}: http://127.0.0.1:{server.port}")
        print("  approval pages and the outbox are served there; schedules fire; Ctrl-C stops.")
        print(
            "  In another terminal: portevoix post create FILE, post status ID, post approve ID..."
        )
    _until_stopped(server, f"stopped; state saved in {home}")
    return EXIT_OK


def _until_stopped(server: Any, farewell: str) -> None:
    """Serve until Ctrl-C or SIGTERM, then stop cleanly (what is pending is saved)."""
    import signal

    signal.signal(signal.SIGTERM, lambda *a: server.stop_event.set())
    try:
        while not server.stop_event.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print(farewell, flush=True)


def _port_free(port: int) -> None:
    """Refuse a busy port with what to do, before anything starts."""
    import errno
    import socket

    if not port:
        return
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise ConfigErrorForCli(
                f"port {port} is already in use (another `portevoix local serve`?): stop it, "
                "or pass --port with a free port (--port 0 picks one)"
            ) from None


def cmd_local_stop(args: argparse.Namespace) -> int:
    home = _home(args)
    print(f"stopped the local stack of {home}" if stop_running(home) else "no local stack runs")
    return EXIT_OK


def _jobs() -> list[str]:
    try:
        return [s.job for s in schedules.from_template(load_template(), {})]
    except (OSError, KeyError):
        return []


def cmd_local_run(args: argparse.Namespace) -> int:
    config, text = _load(args.config)
    plan = {
        s.job: s
        for s in schedules.from_template(
            load_template(), {"DigestHour": config.digest.hour, "TimeZone": config.timezone}
        )
    }
    schedule = plan.get(args.job)
    if schedule is None:
        raise ConfigErrorForCli(
            f"no schedule {args.job!r} in the template: one of {', '.join(plan)}"
        )
    with _stack(args, config, text) as stack:
        result = stack.invoke(
            handler(schedule.function),
            schedules.schedule_event(schedule, datetime.now(UTC)),
            f"portevoix-{schedule.function}",
        )
        stack.deliver_stream()
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return EXIT_PARTIAL if isinstance(result, dict) and result.get("failed") else EXIT_OK


def cmd_inbound(args: argparse.Namespace) -> int:
    """Store the email where SES's receipt rule puts it and notify the reply function."""
    config, text = _load(args.config)
    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigErrorForCli(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > inbound.MAX_EMAIL_BYTES:
        raise ConfigErrorForCli(f"{path} is larger than SES accepts (30 MB)")
    key = f"inbound/{uuid.uuid4().hex}"
    with _stack(args, config, text) as stack:
        bucket = os.environ["DATA_BUCKET"]
        aws.client("s3").put_object(Bucket=bucket, Key=key, Body=raw)
        event = {
            "Records": [
                {
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": len(raw)}},
                }
            ]
        }
        result = stack.invoke(handler("reply"), event, "portevoix-reply")
        stack.deliver_stream()  # the new mention is classified and filed
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    elif result.get("mentions"):
        print(f"{path.name}: in the inbox (see `portevoix inbox`).")
    else:
        print(f"{path.name}: already in the inbox, nothing new.")
    return EXIT_OK


def _connected(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:

    try:
        info = connect_stack(args.stack) if args.stack else connect(_home(args))
    except RuntimeError as exc:
        raise ConfigErrorForCli(str(exc)) from None
    return runtime.config(), info


class ConfigErrorForCli(Exception):
    """A usage problem found before anything ran (exit 2)."""


def _post_import(args: argparse.Namespace, config: Any) -> int:
    """``post import FILE.csv``: every row checked first; nothing created if one is wrong."""
    from portevoix.publishing import importer

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigErrorForCli(f"cannot read {args.file}: {exc}") from None
    if not any(m.email.lower() == args.author.lower() for m in config.team):
        raise ConfigErrorForCli(f"--author {args.author}: not a member of the team")
    drafts, problems = importer.check(config, importer.read(text), args.author)
    if problems:
        print(f"{args.file}: nothing imported, {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_USAGE
    created = []
    if not args.dry_run:
        for draft in drafts:
            post = posts.create(config, draft)
            posts.start(post)
            created.append(post)
    if args.json:
        print(
            json.dumps([{"post_id": p["post_id"], "local_time": p["local_time"]} for p in created])
        )
    elif args.dry_run:
        print(f"{args.file}: {len(drafts)} post(s) checked, all good (nothing created: --dry-run).")
    else:
        print(f"{args.file}: {len(created)} post(s) created, each sent for approval:")
        for post in created:
            print(f"  {post['post_id']}  {post['local_time']}  {', '.join(post['accounts'])}")
    return EXIT_OK


def _read_yaml(file: str, what: str) -> dict[str, Any]:
    """A YAML mapping from ``file``, or one line naming the file, the place and the fix."""
    import yaml

    try:
        text = Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigErrorForCli(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigErrorForCli(f"{file}: cannot read it ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigErrorForCli(f"{file}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigErrorForCli(f"{file}: {what}; see the README")
    return data


def _read_draft(file: str, config: Any) -> Any:
    """A post file as a draft, or one line naming the file, the place and the fix (exit 2)."""
    data = _read_yaml(file, "a post is a mapping (author:, title:, at:, variants:)")
    draft = posts.parse_draft(data, config, source=file)
    when = posts.scheduled_utc(draft, config.tz, datetime.now(UTC))
    if draft.at is not None and when < datetime.now(UTC):
        raise ConfigErrorForCli(
            f"{file}: at: {draft.at:%Y-%m-%d %H:%M} ({config.timezone}) has passed; "
            "give a time ahead, or leave `at` out to publish once approved"
        )
    return draft


def cmd_post(args: argparse.Namespace) -> int:
    import time

    config, info = _connected(args)
    if args.action == "create":
        draft = _read_draft(args.file, config)
        post = posts.create(config, draft)
        posts.start(post)
        links: dict[str, str] = {}
        for _ in range(100):  # the workflow asks for approval within a moment
            current = posts.get(post["post_id"])
            if current.get("links") or current["status"] in posts.FINAL:
                links = current.get("links") or {}
                break
            time.sleep(0.1)
        if current["status"] == "blocked":  # the charter's errors: say each, exit 1
            print(f"Post {post['post_id']} is blocked by the charter:", file=sys.stderr)
            for f in current.get("findings") or []:
                if f.get("level") == "error":
                    print(f"  {f['network']}: {f['en']} ({f['rule']})", file=sys.stderr)
            print("Nothing goes out: fix the file and create it again.", file=sys.stderr)
            return EXIT_PARTIAL
        result = {
            "post_id": post["post_id"],
            "status": posts.get(post["post_id"])["status"],
            "scheduled_at": post["scheduled_at"],
            "approval_links": {email: f"{info['url']}/a/{link}" for email, link in links.items()},
        }
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(
                f"Post {result['post_id']} ({result['status']}), planned for {post['local_time']} {config.timezone}."
            )
            for email, url in result["approval_links"].items():
                print(f"  approval for {email}: {url}")
        return EXIT_OK
    if args.action == "import":
        return _post_import(args, config)
    if args.action == "boosts":
        return _boosts_list(args)
    if getattr(args, "id", None):
        args.id = _one("post", args.id, posts.matching(args.id))
    if args.action in ("approve", "reject"):
        if args.action == "reject" and not (args.comment or "").strip():
            raise ConfigErrorForCli("a rejection needs --comment for the author")
        outcome = approval.decide_as(
            args.id, args.as_email, args.action == "approve", args.comment or ""
        )
        post = outcome.post or {}
        if outcome.kind != "decided":
            print(
                f"Nothing changed: {outcome.kind} (status {post.get('status')}, decided by {post.get('decided_by')})"
            )
            return EXIT_PARTIAL
        decision = "approved" if args.action == "approve" else "rejected"
        # The workflow moves on at once: say what was decided, then where the post is now.
        print(f"Post {args.id}: {decision} by {post.get('decided_by')} (now {post.get('status')}).")
        return EXIT_OK
    if args.action == "status":
        state = posts.status(args.id)
        if args.json:
            print(json.dumps(state, indent=2, ensure_ascii=False))
        else:
            print(f"Post {args.id}: {state['status']} (planned {state['local_time']})")
            for account, entry in state["networks"].items():
                detail = entry.get("url") or entry.get("error") or ""
                print(f"  {account:12} {entry['status']:10} {detail}")
        return EXIT_OK
    if args.action == "cancel":
        print(
            f"Post {args.id}: {posts.cancel(args.id, by=os.environ.get('USER', 'cli'))['status']}."
        )
        return EXIT_OK
    if args.action == "boost":
        return _boost(args, config, info)
    if args.action == "release":
        post = posts.release(args.id, by=os.environ.get("USER", "cli"))
        print(f"Post {args.id}: released, it goes out now (planned {post.get('local_time')}).")
        return EXIT_OK
    if args.action == "reschedule":
        from datetime import datetime as _dt

        try:
            at = _dt.fromisoformat(args.at)
        except ValueError:
            raise ConfigErrorForCli(
                f"--at {args.at!r}: use YYYY-MM-DDTHH:MM (local time)"
            ) from None
        post = posts.reschedule(config, args.id, at, by=os.environ.get("USER", "cli"))
        print(
            f"Post {args.id}: {post['status']}, now planned for {post['local_time']} {config.timezone}."
        )
        return EXIT_OK
    raise ConfigErrorForCli(f"unknown action {args.action}")


def _boost(args: argparse.Namespace, config: Any, info: dict[str, Any]) -> int:
    """Ask for a paid boost of a published post: the approvers get its link."""
    from portevoix.publishing import boosts

    by = args.as_email or config.team[0].email
    try:
        boost = boosts.request(
            config,
            args.id,
            args.account,
            budget=args.budget,
            days=args.days,
            audience=args.audience,
            by=by,
        )
    except boosts.BoostError as exc:
        raise ConfigErrorForCli(str(exc)) from None
    result = {
        "boost_id": boost["boost_id"],
        "status": boost["status"],
        "budget": boosts.money(boost["budget"], boost["currency"], "en"),
        "approval_links": {e: f"{info['url']}/b/{link}" for e, link in boost["links"].items()},
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"Boost {result['boost_id']} of post {args.id} on {args.account}: {result['budget']} "
            f"over {args.days} days, waiting for approval (nothing is spent before)."
        )
        for email, url in result["approval_links"].items():
            print(f"  approval for {email}: {url}")
    return EXIT_OK


def _boosts_list(args: argparse.Namespace) -> int:
    from portevoix.publishing import boosts

    rows = [
        {
            "boost_id": b["boost_id"],
            "post_id": b["post_id"],
            "account": b["account"],
            "status": b["status"],
            "budget": boosts.money(b["budget"], b["currency"], "en"),
            "spent": boosts.money(int(b.get("spend") or 0), b["currency"], "en"),
            "reach": b.get("reach"),
            "clicks": int(b.get("clicks") or 0),
            "error": b.get("error"),
        }
        for b in boosts.listed()
    ]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        print("No boost yet: `portevoix post boost POST_ID --account ... --budget ...`.")
    for r in rows:
        print(
            f"{r['boost_id']}  {r['post_id']} {r['account']:10} {r['status']:18} "
            f"{r['spent']} of {r['budget']}  reach {r['reach'] if r['reach'] is not None else '-'}"
            f"  {r['clicks']} clicks{'  ' + r['error'] if r['error'] else ''}"
        )
    return EXIT_OK


def cmd_contest(args: argparse.Namespace) -> int:
    """Contests against the running local stack; ``verify`` needs nothing but the file."""
    from portevoix.contests import contest, draw

    if args.action == "verify":
        data = _read_yaml(args.file, "a draw is the JSON object of the contest's draw.json")
        ok = draw.verify(data)
        won, subs = draw.result(
            data.get("seed", ""),
            list(data.get("eligible") or []),
            int(data.get("winners_count") or 0),
            int(data.get("substitutes_count") or 0),
            int(data.get("draw") or 1),
        )
        print(json.dumps({"valid": ok, "winners": won, "substitutes": subs}, indent=2))
        return EXIT_OK if ok else EXIT_PARTIAL
    config, info = _connected(args)
    who = getattr(args, "as_email", None) or config.team[0].email
    if args.action == "create":
        data = _read_yaml(args.file, "a contest is a mapping (title:, posts:, starts:, ends:...)")
        created = contest.create(config, contest.parse(data, config, source=args.file), by=who)
        result = {
            "contest_id": created["contest_id"],
            "status": created["status"],
            "commitment": created["commitment"],
            "salt": created["salt"],
            "public_page": f"{info['url']}/c/{created['contest_id']}",
        }
        print(
            json.dumps(result, indent=2)
            if args.json
            else (
                f"Contest {result['contest_id']} ({result['status']}): commitment "
                f"{result['commitment']} published on {result['public_page']}"
            )
        )
        return EXIT_OK
    if args.action == "list":
        rows = contest.listed()
        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        for c in rows if not args.json else []:
            print(
                f"{c['contest_id']}  {c['status']:9} {c['starts']} -> {c['ends']}  "
                f"{int(c.get('eligible') or 0)} valid  {c['title']}"
            )
        if not rows and not args.json:
            print("No contest yet: `portevoix contest create FILE`.")
        return EXIT_OK
    if args.action == "collect":
        print(json.dumps(contest.collect(config), indent=2, default=str))
        return EXIT_OK
    if args.action == "draw":
        done = contest.run_draw(
            config, args.id, by=who, redraw=args.redraw, reason=args.reason or ""
        )
        print(json.dumps(done, indent=2, ensure_ascii=False, default=str))
    elif args.action == "announce":
        post = contest.announce(config, args.id, by=who)
        print(f"Announcement {post['post_id']}: waiting for approval.")
    else:
        print(json.dumps(contest.message_winners(config, args.id, by=who), indent=2))
    return EXIT_OK


def cmd_newsletter(args: argparse.Namespace) -> int:
    """The newsletter against the running local stack: its subscribers, the sending."""
    from portevoix.newsletter import issues, subscribers

    config, _ = _connected(args)
    if args.action == "send":  # what `local serve` does every few seconds, now
        result = issues.drain(config, visibility=args.visibility)
        print(json.dumps(result, indent=2))
        return EXIT_OK
    state = {
        "enabled": config.newsletter.enabled,
        "subscribers": subscribers.counts(),
        "issues": [
            {k: i.get(k) for k in ("issue_id", "status", "recipients", "sent", "uncertain")}
            for i in store.query_gsi1(issues.INDEX)
        ],
    }
    print(json.dumps(state, indent=2, default=str))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from contextlib import ExitStack

    from portevoix_local.serve import _free_port

    home = (Path(args.home) if args.home else default_home()) / "demo"
    port = args.port or _free_port()
    if args.serve:
        _port_free(port)
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    base = f"http://127.0.0.1:{port}"
    os.environ["APPROVAL_BASE_URL"] = base  # where every link of the demo's emails points
    say = print
    with ExitStack() as stack_of:
        server = stack_of.enter_context(FeedServer(demo.routes()))
        mastodon = _demo_mastodon(stack_of)
        text = demo.config_yaml(server.base_url, mastodon=mastodon.base_url if mastodon else None)
        (home / "portevoix.yaml").write_text(text, encoding="utf-8")
        config = parse_config(text, str(home / "portevoix.yaml"))
        say(
            f"Porte-voix demo: brand {config.brand.name}, {len(config.feeds)} sources served on "
            f"{server.base_url}"
            + (f" and a local Mastodon on {mastodon.base_url}" if mastodon else "")
            + " (no internet needed)."
        )
        say(f"Configuration: {home / 'portevoix.yaml'}\n")
        if mastodon:
            _mastodon_as(
                mastodon.base_url,
                "bob_token",
                "POST",
                "/api/v1/statuses",
                {"status": "@alice Ma batterie Cyclia chauffe, c'est normal ?"},
            )
        with LocalStack(home, config_text=text, sender=config.sender) as stack:
            say("1. First poll (the schedule's event, sent to the veille handler):")
            first = stack.invoke(handler("veille"), schedule_event("veille"), "portevoix-veille")
            _print_poll(first)
            stack.deliver_stream()
            _print_inbox(say)

            notified = inbox_mod.send_batch(config)
            say(
                f"   The grouped inbox email lists {len(notified)} message(s) with suggested replies and"
            )
            say("   a link each to answer, mark handled, ignore or hide (see the outbox).")
            say("\n2. Second poll: the servers answer 304 Not Modified, nothing is stored twice:")
            second = stack.invoke(handler("veille"), schedule_event("veille"), "portevoix-veille")
            _print_poll(second)
            if mastodon:
                say("\n3. On Mastodon: reply to the mention, then publish a post (exactly once):")
                _demo_publish(config, say)
            say(f"\n{4 if mastodon else 3}. Morning digest, one per language of the team:")
            sent = digest.send(config)
            for s in sent:
                say(f"   {s['lang']}: {s['subject']}")
                say(f"       -> {s['html']}")
        if mastodon:
            say(
                "\n5. A post through the publish workflow (the deployed state machine, run by moto):"
            )
            _demo_workflow(home, text, config, say)
            os.environ["APPROVAL_BASE_URL"] = base
        say(
            f"\n{6 if mastodon else 4}. The report of this week so far (every Monday, the past week):"
        )
        with LocalStack(home, config_text=text, sender=config.sender):
            reported = _demo_report(config, say)
        say(f"\nOpen the .html files in a browser, or the .eml in a mail client: {stack.outbox}")
        say(
            "Run it on your own sources: cp config/example.yaml portevoix.yaml, edit, then "
            "`portevoix veille` and `portevoix digest`."
        )
        if args.serve:
            _demo_serve(home, text, config, port, say)
        else:
            say(
                f"The links in these emails point to {base}: `portevoix demo --serve` runs the "
                "demo again and keeps its servers up until Ctrl-C."
            )
    ok = first["new_items"] > 0 and second["new_items"] == 0 and len(sent) > 0 and reported
    return EXIT_OK if ok else EXIT_PARTIAL


def _demo_serve(home: Path, text: str, config: Any, port: int, say: Any) -> None:
    """Keep the demo's stack (and its feed and Mastodon servers) up until Ctrl-C."""
    server = LocalServer(
        home, text, config, port=port, fire_schedules=False, config_path=home / "portevoix.yaml"
    ).start()
    say(
        f"\nThe demo is up until Ctrl-C: its email links work, and the studio is at "
        f"http://127.0.0.1:{server.port} (sign in as {config.team[0].email}; the link "
        f"arrives in {home / 'outbox'}).",
    )
    sys.stdout.flush()
    _until_stopped(server, "stopped.")


def _demo_report(config: Any, say: Any) -> bool:
    from datetime import UTC, datetime

    collected = engagement.collect(config)
    say(f"   engagement read back for {collected.read} post(s) from the networks")
    built = report.build(config, report.Week.containing(datetime.now(UTC), config.tz))
    fig = built.current
    voice = ", ".join(f"{name} {count}" for name, count in fig.voice.items())
    say(
        f"   {fig.mentions} mention(s) ({', '.join(f'{k} {v}' for k, v in fig.by_source.items())}), "
        f"share of voice: {voice}; {fig.published} post(s) published; "
        f"{fig.items} item(s) monitored"
    )
    sent = report.send(config, built.week, built=built)
    for s in sent:
        say(f"   {s['lang']}: {s['subject']}")
        say(
            f"       -> {s['html']} (+ {', '.join(Path(a).name for a in s.get('attachments', []))})"
        )
    return bool(sent)


def _print_inbox(say: Any) -> None:

    say("   The inbox sorted the new mentions:")
    for status in ("needs_reply", "ignored"):
        for m in store.query_gsi1(store.inbox_index(status)):
            flag = " ALERT SENT" if m.get("notified_at") else ""
            say(
                f"     {m.get('intent', '?'):9} {m.get('urgency', '?'):9} {status:11} {(m.get('title') or '')[:60]}{flag}"
            )


def _demo_workflow(home: Path, text: str, config: Any, say: Any) -> None:
    """Create a post, approve it through its page over HTTP, see it published."""
    import re
    import time

    import requests

    server = LocalServer(home, text, config, port=0, fire_schedules=False).start()
    try:
        draft = posts.parse_draft(
            {
                "author": config.team[0].email,
                "title": "Précommandes Urban 3",
                "variants": {
                    "mastodon": {
                        "text": "Précommandes de l'Urban 3 lundi 9 h ! #cyclia",
                        "language": "fr",
                    }
                },
            },
            config,
        )
        post = posts.create(config, draft)
        posts.start(post)
        for _ in range(100):
            links = posts.get(post["post_id"]).get("links")
            if links:
                break
            time.sleep(0.1)
        url = f"http://127.0.0.1:{server.port}/a/{next(iter(links.values()))}"
        say(f"   charter checked, approval asked: {url}")
        page = requests.get(url, timeout=10).text
        token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
        requests.post(url, data={"form_token": token, "decision": "approve"}, timeout=10)
        say("   approved through the page (an HTTP POST, as the browser sends it)")
        for _ in range(100):
            state = posts.status(post["post_id"])
            if state["status"] in posts.FINAL:
                break
            time.sleep(0.1)
        for account, entry in state["networks"].items():
            say(f"   {account}: {entry['status']} {entry.get('url') or entry.get('error') or ''}")
    finally:
        server.stop()


def _demo_mastodon(stack_of: Any) -> Any:
    """A local Mastodon (mastodon-mock) with the brand as @alice, or None if not installed."""
    try:
        from mastodon_mock.testing.server import MockServer
    except ImportError:
        print("(mastodon-mock is not installed: the demo runs without a social network)")
        return None
    os.environ["PORTEVOIX_DEMO_MASTODON_TOKEN"] = "alice_token"  # noqa: S105 - the mock's fixture
    return stack_of.enter_context(MockServer())


def _mastodon_as(base: str, token: str, method: str, path: str, body: dict[str, Any]) -> Any:
    import requests

    resp = requests.request(
        method, base + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    resp.raise_for_status()
    return resp.json()


def _demo_publish(config: Any, say: Any) -> None:
    account = config.accounts[0]
    net = build(account, config)
    inbox = store.query_gsi1(store.inbox_index("needs_reply")) + store.query_gsi1(
        store.inbox_index("new")
    )
    mention = next(m for m in inbox if m.get("source") == "mastodon")

    body = replies.render(config, "sav", mention)
    reply = replies.reply(config, store.id_of(mention["PK"]), body)
    say(
        f'   replied to {mention["author_handle"]} with the "sav" template, {reply["response_seconds"]} s after it arrived: {reply["reply_url"]}'
    )
    post = publish_once(
        net,
        Variant(text="Cyclia Urban 3 : les précommandes ouvrent lundi 🚲", language="fr"),
        key="demo-post-1:mastodon",
    )
    again = publish_once(
        net,
        Variant(text="Cyclia Urban 3 : les précommandes ouvrent lundi 🚲", language="fr"),
        key="demo-post-1:mastodon",
    )
    say(f"   published: {post.url} (published again under the same key: {again.url}, no duplicate)")


EXAMPLES = """examples:
  cp config/example.yaml portevoix.yaml      start from the example configuration
  portevoix config check                     is it valid, are its secrets readable?
  portevoix veille                           poll every feed and account now
  portevoix digest                           the morning digest, into .portevoix/outbox
  portevoix local serve                      the stack and its studio: http://127.0.0.1:8787
  portevoix post create post.yaml            check, ask for approval, publish at its time
  portevoix post import planning.csv --author you@brand.example --dry-run
  portevoix inbox --status needs_reply       what people said that needs an answer
  portevoix COMMAND --help                   each command's options
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portevoix",
        description="Porte-voix: monitoring, inbox and publishing for community managers "
        "(local mode: AWS emulated on this machine).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--home", help="local state folder (default: $PORTEVOIX_HOME or .portevoix)"
    )
    parser.add_argument(
        "--stack",
        help="talk to this deployed stack (found through its outputs) instead of the local one",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent: Any, name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text)
        p.add_argument(
            "--config", help="brand configuration (default: $PORTEVOIX_CONFIG or ./portevoix.yaml)"
        )
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        p.set_defaults(func=func)
        return p

    command(sub, "veille", "poll every feed and account now and store what is new", cmd_veille)
    command(
        sub, "digest", "send the digest of the last 24 hours (locally: to the outbox)", cmd_digest
    )
    rep = command(
        sub,
        "report",
        "the weekly report (locally: to the outbox), or its files with --out",
        cmd_report,
    )
    rep.add_argument("--week", help="ISO week, YYYY-Www (default: the last complete week)")
    rep.add_argument("--out", help="write the report's HTML, text and CSV here instead of emailing")
    price = command(sub, "cost", "estimate the monthly AWS bill of this configuration", cmd_cost)
    price.add_argument(
        "--items-per-day", type=float, help="new feed items a day (default: 10 a feed)"
    )
    price.add_argument(
        "--mentions-per-day", type=float, help="mentions a day (default: from feeds and accounts)"
    )
    price.add_argument(
        "--posts-per-week", type=float, help="posts a week (default: the charter's target)"
    )
    price.add_argument(
        "--contest-entries",
        type=float,
        help="contest entries a month, read while a week-long contest runs (default 500)",
    )
    price.add_argument(
        "--subscribers",
        type=float,
        help="newsletter subscribers (default: 1,000 when the newsletter is on, else 0)",
    )
    accounts = sub.add_parser("accounts", help="the network accounts of the configuration")
    actions = accounts.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(actions, "check", "check every account's credentials and expiry", cmd_accounts)
    p = command(
        actions,
        "connect",
        "connect an account from the local studio (a signed-in link opens the Connect page)",
        cmd_accounts_connect,
    )
    p.add_argument(
        "network", choices=["mastodon", "bluesky", "linkedin", "facebook", "instagram", "x"]
    )
    p.add_argument("--account", help="the configured account to reconnect (its id)")
    p.add_argument("--as", dest="member", help="the team member signing in (default: the first)")
    p.add_argument("--no-browser", action="store_true", help="print the link, open nothing")

    classify = command(
        sub, "classify", "how the inbox files a message, and the words that decided", cmd_classify
    )
    classify.add_argument("text", help="the message (- reads it from stdin)")
    classify.add_argument("--author", help="who wrote it (VIP and own accounts)")
    inbox = command(sub, "inbox", "what people said to the brand, sorted", cmd_inbox)
    inbox.add_argument(
        "--status",
        default="needs_reply",
        choices=["needs_reply", "needs_action", "new", "replied", "ignored", "hidden"],
    )
    reply = command(sub, "reply", "answer a mention through its network", cmd_reply)
    reply.add_argument("id", help="the mention's id (see `portevoix inbox`)")
    which = reply.add_mutually_exclusive_group(required=True)
    which.add_argument("--template", help="a reply template of the configuration")
    which.add_argument("--text", help="the reply itself")

    mention = sub.add_parser("mention", help="act on one mention of the inbox")
    mention_actions = mention.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (
        ("hide", "archive it, then hide it where the network allows"),
        ("handled", "mark it handled"),
        ("ignore", "ignore it"),
    ):
        p = command(mention_actions, name, text, cmd_mention)
        p.add_argument("id", help="the mention's id (see `portevoix inbox`)")

    freeze = command(sub, "freeze", "hold every scheduled post (a crisis), or resume", cmd_freeze)
    freeze.add_argument("state", choices=["on", "off"])

    doctor = command(
        sub,
        "doctor",
        "check a deployed stack: outputs, config, sender, schedules, tokens",
        cmd_doctor,
    )
    doctor.add_argument("--stack", required=True, help="the CloudFormation stack's name")

    conf = sub.add_parser("config", help="the brand configuration")
    conf_actions = conf.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = command(
        conf_actions, "check", "validate a configuration and read its secrets", cmd_config_check
    )
    check.add_argument("file", nargs="?", help="the file (default: --config, or ./portevoix.yaml)")
    compact = command(
        conf_actions,
        "compact",
        "print it without comments, to store in the SSM parameter",
        cmd_config_compact,
    )
    compact.add_argument(
        "file", nargs="?", help="the file (default: --config, or ./portevoix.yaml)"
    )

    studio = sub.add_parser("sessions", help="the studio's sign-in sessions")
    studio_actions = studio.add_subparsers(dest="action", required=True, metavar="ACTION")
    revoke = command(studio_actions, "revoke", "end every session of a member", cmd_sessions)
    revoke.add_argument("email", help="the member's email address")

    local = sub.add_parser("local", help="the local stack")
    local_actions = local.add_subparsers(dest="action", required=True, metavar="ACTION")
    serve = command(local_actions, "serve", "run the whole stack here until stopped", cmd_serve)
    serve.add_argument(
        "--port", type=int, default=8787, help="HTTP port of the pages (default 8787)"
    )
    serve.add_argument("--background", action="store_true", help=argparse.SUPPRESS)
    local_actions.add_parser(
        "stop", help="stop the local stack a command started in the background"
    ).set_defaults(func=cmd_local_stop)

    run = command(
        local_actions,
        "run",
        "fire a scheduled job now, as its schedule would (e.g. `local run digest`)",
        cmd_local_run,
    )
    run.add_argument("job", help="a schedule of infra/template.yaml: " + ", ".join(_jobs()))
    inbound = command(
        local_actions, "inbound", "hand an email (.eml) to the stack, as SES would", cmd_inbound
    )
    inbound.add_argument("file", help="the raw email, as an .eml file")

    post = sub.add_parser("post", help="posts, in the running local stack")
    post_actions = post.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = post_actions.add_parser("create", help="check, ask for approval, publish at its time")
    p.add_argument("file", help="YAML: author, title, at (local time), variants per account")
    p.add_argument("--json", action="store_true")
    for name, text in (
        ("approve", "approve as the page would"),
        ("reject", "reject as the page would"),
    ):
        p = post_actions.add_parser(name, help=text)
        p.add_argument("id")
        p.add_argument("--as", dest="as_email", help="the approver (default: the first one)")
        p.add_argument("--comment", default="", help="for the author (required to reject)")
    p = post_actions.add_parser(
        "import", help="a CSV of posts, one a row: all checked, none created if one is wrong"
    )
    p.add_argument("file", help="date,time,accounts,text[,title,link,image_url,alt,text_<account>]")
    p.add_argument("--author", required=True, help="the team member the posts are from")
    p.add_argument("--dry-run", action="store_true", help="check only, create nothing")
    p.add_argument("--json", action="store_true")
    p = post_actions.add_parser("status", help="status per network, with the published URLs")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p = post_actions.add_parser("cancel", help="stop the post's workflow")
    p.add_argument("id")
    p = post_actions.add_parser("reschedule", help="a new time: checked and approved again")
    p.add_argument("id")
    p.add_argument("--at", required=True, help="local time, YYYY-MM-DDTHH:MM")
    p = post_actions.add_parser("release", help="publish now a post the freeze holds")
    p.add_argument("id")
    p = post_actions.add_parser(
        "boost", help="ask for a paid boost of a published post (approved like a post)"
    )
    p.add_argument("id")
    p.add_argument("--account", required=True, help="the account it was published on")
    p.add_argument("--budget", required=True, help="the total, in boosts.currency (e.g. 49.90)")
    p.add_argument("--days", type=int, default=7, help="how long it runs (default 7)")
    p.add_argument("--audience", required=True, help="one of the ad account's audiences")
    p.add_argument("--as", dest="as_email", help="who asks (default: the first team member)")
    p.add_argument("--json", action="store_true")
    p = post_actions.add_parser("boosts", help="every boost: status, spend, reach, clicks")
    p.add_argument("--json", action="store_true")
    post_names = (
        "create",
        "import",
        "approve",
        "reject",
        "status",
        "cancel",
        "reschedule",
        "release",
        "boost",
        "boosts",
    )
    for action in post_names:
        post_actions.choices[action].set_defaults(func=cmd_post)

    contests = sub.add_parser("contest", help="contests (jeux-concours) and their draws")
    contest_actions = contests.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = contest_actions.add_parser("create", help="declare one and publish its commitment")
    p.add_argument("file", help="YAML: title, posts, starts, ends, entry, winners, rules_url")
    p.add_argument("--as", dest="as_email", help="who declares it (default: the first member)")
    p.add_argument("--json", action="store_true")
    p = contest_actions.add_parser("list", help="every contest, its status and valid entries")
    p.add_argument("--json", action="store_true")
    contest_actions.add_parser("collect", help="read the running contests' entries now")
    p = contest_actions.add_parser("draw", help="draw the winners (the same draw if made)")
    p.add_argument("id")
    p.add_argument("--redraw", action="store_true", help="a new draw, numbered and published")
    p.add_argument("--reason", help="why (required with --redraw, published)")
    p.add_argument("--as", dest="as_email")
    p = contest_actions.add_parser("announce", help="the winners' post, sent for approval")
    p.add_argument("id")
    p.add_argument("--as", dest="as_email")
    p = contest_actions.add_parser("message", help="answer each winner's entry, once")
    p.add_argument("id")
    p.add_argument("--as", dest="as_email")
    p = contest_actions.add_parser("verify", help="check a published draw.json (anyone)")
    p.add_argument("file", help="the contest's draw.json")
    for action in ("create", "list", "collect", "draw", "announce", "message", "verify"):
        contest_actions.choices[action].set_defaults(func=cmd_contest)

    letter = sub.add_parser("newsletter", help="the newsletter: subscribers, issues, sending")
    letter_actions = letter.add_subparsers(dest="action", required=True, metavar="ACTION")
    letter_actions.add_parser("status", help="subscribers by status, each issue and its counts")
    p = letter_actions.add_parser("send", help="send the queued batches now (resumes a stop)")
    p.add_argument("--visibility", type=int, default=30, help="seconds a taken batch is hidden")
    for action in ("status", "send"):
        letter_actions.choices[action].set_defaults(func=cmd_newsletter)

    p = sub.add_parser("demo", help="a self-contained run on bundled sample feeds")
    p.add_argument(
        "--serve",
        action="store_true",
        help="then keep the demo's servers up (its email links work) until Ctrl-C",
    )
    p.add_argument("--port", type=int, default=8787, help="where its links point (0: any free)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    # The handlers log one JSON line per run for CloudWatch; a terminal user
    # reads the CLI's own summary instead (set POWERTOOLS_LOG_LEVEL=INFO to see both).
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF is for CloudWatch only

    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # `portevoix` alone: the help, not an error
        parser.print_help()
        return EXIT_OK
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, ConfigErrorForCli) as exc:
        print(f"portevoix: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PortevoixError as exc:
        print(f"portevoix: {exc}", file=sys.stderr)
        return EXIT_PARTIAL
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
