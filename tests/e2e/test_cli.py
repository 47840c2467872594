"""The ``portevoix`` command as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import ROOT, SENDER, rss


def run(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PORTEVOIX_"))}
    env.update(PORTEVOIX_HOME=str(home), PYTHONPATH=str(ROOT), PORTEVOIX_LOCAL_IDLE_SECONDS="300")
    return subprocess.run(
        [sys.executable, "-m", "portevoix_local.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or home.parent,
        timeout=120,
    )


@pytest.fixture
def config_file(tmp_path: Path, feed_server: Any) -> Path:
    feed_server.set(
        "/a.rss",
        rss(
            [("Porte-voix recrute", "https://ex.com/job"), ("Hootsuite aussi", "https://ex.com/hs")]
        ),
    )
    data = {
        "brand": {"name": "Porte-voix"},
        "sender": SENDER,
        "team": [{"email": "cm@brand.example", "language": "en"}],
        "competitors": [{"name": "Hootsuite"}],
        "feeds": [
            {"id": "a", "url": feed_server.url("/a.rss")},
            {"id": "gone", "url": feed_server.url("/gone.rss")},
        ],
        "fetch": {"allow_private_networks": True},
    }
    path = tmp_path / "brand.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_veille_twice_then_digest(tmp_path: Path, config_file: Path) -> None:
    home = tmp_path / "home"
    first = run(home, "veille", "--config", str(config_file), "--json")
    assert first.returncode == 1, first.stderr  # one feed failed, the rest is stored
    report = json.loads(first.stdout)
    assert {"feeds", "fetched", "not_modified", "failed", "new_items", "mentions"} <= set(report)
    assert (report["fetched"], report["new_items"], report["mentions"]) == (1, 2, 1)
    assert report["failed"] == [
        {
            "feed": "gone",
            "name": "127.0.0.1",  # no name: the site's host, never a hash
            "url": report["failed"][0]["url"],
            "error": report["failed"][0]["error"],
        }
    ]
    assert "HTTP 404" in report["failed"][0]["error"]

    second = run(home, "veille", "--config", str(config_file), "--json")
    again = json.loads(second.stdout)
    assert (again["new_items"], again["not_modified"]) == (0, 1)
    assert second.returncode == 0  # the broken feed is backing off, nothing failed this time
    assert again["skipped"][0]["feed"] == "gone"

    human = run(home, "veille", "--config", str(config_file))
    assert "0 new item(s)" in human.stdout and "backing off" in human.stdout

    sent = run(home, "digest", "--config", str(config_file))
    assert sent.returncode == 0, sent.stderr
    html = [p for p in (home / "outbox").iterdir() if p.suffix == ".html"]
    assert len(html) == 1 and "Porte-voix recrute" in html[0].read_text(encoding="utf-8")
    assert str(html[0]) in sent.stdout


def test_the_poll_summary_names_feeds_and_counts_accounts_apart(
    tmp_path: Path, feed_server: Any, api: str
) -> None:
    feed_server.set("/a.rss", rss([("Porte-voix recrute", "https://ex.com/job")]))
    data = {
        "brand": {"name": "Porte-voix"},
        "sender": SENDER,
        "team": [{"email": "cm@brand.example"}],
        "feeds": [
            {"url": feed_server.url("/a.rss"), "name": "Les Nouvelles"},
            {"url": feed_server.url("/gone.rss"), "name": "Le Forum"},
        ],
        "accounts": [
            {"network": "mastodon", "id": "masto", "instance": api, "secret": "env:MASTO_X"}
        ],
        "fetch": {"allow_private_networks": True},
    }
    path = tmp_path / "brand.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    os.environ["MASTO_X"] = "revoked"
    try:
        result = run(tmp_path / "home", "veille", "--config", str(path))
    finally:
        del os.environ["MASTO_X"]
    out = result.stdout
    assert "Polled 2 of 2 feed(s): 1 fetched, 0 not modified, 0 unchanged, 1 failed" in out
    assert "Read 1 account(s): 0 new mention(s), 1 failed." in out
    assert "FAILED  Le Forum: HTTP 404" in out
    assert "FAILED  masto (mastodon): reconnect this account" in out
    assert not re.search(r"\bu[0-9a-f]{16}\b", out)  # no hashed feed ids


def test_bad_configuration_exits_2_and_runs_nothing(tmp_path: Path, config_file: Path) -> None:
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data["timezone"] = "Mars/Olympus"
    data["feeds"][0]["url"] = "not a url"
    config_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    home = tmp_path / "home"
    result = run(home, "veille", "--config", str(config_file))
    assert result.returncode == 2
    assert str(config_file) in result.stderr
    assert "timezone: 'Mars/Olympus' is not an IANA time zone" in result.stderr
    assert "feeds[0].url" in result.stderr
    assert not (home / "state").exists()


def test_no_configuration_explains_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path, "veille")
    assert result.returncode == 2 and "pass --config FILE" in result.stderr


def test_usage_error_exits_2(tmp_path: Path) -> None:
    assert run(tmp_path, "veille", "--nope").returncode == 2


def test_demo_runs_offline(tmp_path: Path) -> None:
    result = run(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    assert "9 new item(s), 4 new brand mention(s)" in result.stdout  # 3 in feeds, 1 on Mastodon
    assert "3 not modified" in result.stdout
    assert "replied to @bob" in result.stdout and "no duplicate" in result.stdout
    assert re.search(r"approved through the page.*\n\s+mastodon: published https://", result.stdout)
    assert "Traceback" not in result.stdout + result.stderr
    assert "`portevoix demo --serve` runs the demo again" in result.stdout
    outbox = tmp_path / "demo" / "outbox"
    names = sorted(p.name for p in outbox.iterdir())
    assert len([n for n in names if "-digest-" in n and n.endswith(".html")]) == 2  # fr and en
    assert any("-post-approval" in n for n in names) and any("-post-published" in n for n in names)
    assert (
        any("-inbox-batch" in n for n in names)
        # The recall and a battery that heats up are crises, the brake complaint urgent: all
        # three alerted at once, so the grouped email carries the review alone.
        and "The grouped inbox email lists 1 message(s)" in result.stdout
    )
    assert re.search(r"crisis\s+immediate\s+needs_reply Bob", result.stdout)
    assert re.search(r"crisis\s+immediate\s+needs_reply Cyclia rappelle", result.stdout)


def test_demo_serve_keeps_its_links_alive_until_stopped(tmp_path: Path) -> None:
    """Without --serve the demo says how to reopen its links; with it, they answer."""
    import signal
    import socket

    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PORTEVOIX_"))}
    env.update(PORTEVOIX_HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "portevoix_local.cli", "demo", "--serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.time() + 120
        while time.time() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "until Ctrl-C" in line or proc.poll() is not None:
                break
        assert "until Ctrl-C" in "".join(lines), "".join(lines)
        inbox = next((tmp_path / "demo" / "outbox").glob("*-inbox-batch*.eml")).read_text()
        link = re.search(rf"http://127\.0\.0\.1:{port}/m/[\w-]+", inbox.replace("=\n", ""))
        assert link, "the inbox email links to the demo's server"
        page = requests.get(link.group(0), timeout=10)
        assert page.status_code == 200 and "<form" in page.text
        assert requests.get(f"http://127.0.0.1:{port}/signin", timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "stopped." in out


def test_classify_says_why(tmp_path: Path) -> None:
    shown = run(tmp_path, "classify", "Cyclia rappelle des batteries après des cas de surchauffe")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("crisis · negative") and "urgency immediate" in shown.stdout
    assert "crisis: rappelle des, surchauffe" in shown.stdout
    as_json = run(tmp_path, "classify", "--json", "thanks for nothing \x1b[31m🙄")
    data = json.loads(as_json.stdout)
    assert data["intent"] == "complaint" and "🙄" in data["signals"]["complaint"]
    assert run(tmp_path, "classify", "   ").returncode == 2


def test_accounts_check(tmp_path: Path, api: str) -> None:
    data = {
        "brand": {"name": "Porte-voix"},
        "sender": SENDER,
        "team": [{"email": "cm@brand.example"}],
        "accounts": [
            {"network": "mastodon", "id": "good", "instance": api, "secret": "env:GOOD_TOKEN"},
            {"network": "mastodon", "id": "bad", "instance": api, "secret": "env:BAD_TOKEN"},
        ],
        "fetch": {"allow_private_networks": True},
    }
    path = tmp_path / "brand.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    os.environ["GOOD_TOKEN"], os.environ["BAD_TOKEN"] = "alice_token", "revoked"
    try:
        result = run(tmp_path / "home", "accounts", "check", "--config", str(path), "--json")
    finally:
        del os.environ["GOOD_TOKEN"], os.environ["BAD_TOKEN"]
    assert result.returncode == 1, result.stderr
    statuses = {s["account"]: s for s in json.loads(result.stdout)}
    assert statuses["good"]["status"] == "ok" and statuses["good"]["identity"] == "@alice"
    assert statuses["bad"]["status"] == "failed"
    assert "revoked" not in result.stdout  # the token itself is never printed


def test_inbox_and_reply_commands(tmp_path: Path, api: str) -> None:
    import requests

    requests.post(
        api + "/api/v1/statuses",
        json={"status": "@alice Votre SAV ne répond jamais, très déçu !"},
        headers={"Authorization": "Bearer bob_token"},
        timeout=10,
    )
    data = {
        "brand": {"name": "Porte-voix"},
        "sender": SENDER,
        "team": [{"email": "cm@brand.example"}],
        "accounts": [
            {"network": "mastodon", "id": "masto", "instance": api, "secret": "env:MASTO_TOKEN"}
        ],
        "inbox": {
            "templates": {
                "sav": {
                    "intents": ["complaint"],
                    "fr": "Désolés {{ author }}, on vous écrit en privé.",
                }
            }
        },
        "fetch": {"allow_private_networks": True},
    }
    path = tmp_path / "brand.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    home = tmp_path / "home"
    os.environ["MASTO_TOKEN"] = "alice_token"
    try:
        assert run(home, "veille", "--config", str(path)).returncode == 0
        listed = run(home, "inbox", "--config", str(path), "--json")
        (item,) = json.loads(listed.stdout)
        assert (item["intent"], item["urgency"], item["author"]) == ("complaint", "high", "@bob")
        assert item["suggestions"] == {"sav": "Désolés Bob, on vous écrit en privé."}
        human = run(home, "inbox", "--config", str(path)).stdout
        assert human.startswith(item["short_id"] + "\n") and item["id"] not in human
        assert len(item["short_id"]) < len(item["id"])
        short = run(home, "reply", "abc", "--text", "x", "--config", str(path))
        assert short.returncode == 2 and "at least 6 characters" in short.stderr
        # The short id the inbox shows is enough to act on the mention.
        sent = run(home, "reply", item["short_id"], "--template", "sav", "--config", str(path))
        assert sent.returncode == 0, sent.stderr
        assert "Replied to @bob" in sent.stdout
        again = run(home, "reply", item["id"], "--text", "encore", "--config", str(path))
        assert again.returncode == 1 and "already replied" in again.stderr
        replied = json.loads(
            run(home, "inbox", "--status", "replied", "--config", str(path), "--json").stdout
        )
        assert replied[0]["response_seconds"] is not None
    finally:
        del os.environ["MASTO_TOKEN"]
    # The complaint was urgent: the team got one email for it.
    emails = [p for p in (home / "outbox").glob("*.eml")]
    assert len([p for p in emails if "urgent" in p.name]) == 1


def test_report_files_and_cost_as_a_user_runs_them(tmp_path: Path, config_file: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "veille", "--config", str(config_file)).returncode in (0, 1)
    from datetime import UTC, datetime

    week = datetime.now(UTC).strftime("%G-W%V")
    out = tmp_path / "out"
    done = run(home, "report", "--config", str(config_file), "--week", week, "--out", str(out))
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert any(n.endswith(".csv") for n in names) and any(n.endswith(".html") for n in names)
    csv_text = next(out.glob("*.csv")).read_text(encoding="utf-8-sig")
    assert "share_of_voice,Hootsuite,mentions,1," in csv_text
    sent = run(home, "report", "--config", str(config_file), "--week", week, "--json")
    assert sent.returncode == 0, sent.stderr
    answer = json.loads(sent.stdout)
    assert answer["summary"]["items"]["this_week"] == 2 and answer["sent"]
    bad = run(home, "report", "--config", str(config_file), "--week", "2026-W60")
    assert bad.returncode == 2 and "2026 has no week 60" in bad.stderr
    price = run(home, "cost", "--config", str(ROOT / "config" / "example.yaml"), "--json")
    assert price.returncode == 0, price.stderr
    est = json.loads(price.stdout)
    assert est["total_usd"] == pytest.approx(sum(line["usd"] for line in est["lines"]), abs=0.02)
    text = run(home, "cost", "--config", str(ROOT / "config" / "example.yaml")).stdout
    assert "Total: $" in text and "Step Functions: state transitions" in text


def test_every_brand_mention_is_filed_past_one_page_of_stream_records(
    tmp_path: Path, feed_server: Any
) -> None:
    """600 brand items write 1,200+ stream records: all of them reach the inbox."""
    for n in range(3):
        feed_server.set(
            f"/big{n}.rss",
            rss([(f"Porte-voix, article {n}-{i}", f"https://ex.com/{n}/{i}") for i in range(200)]),
        )
    data = {
        "brand": {"name": "Porte-voix"},
        "sender": SENDER,
        "team": [{"email": "cm@brand.example", "language": "en"}],
        "feeds": [{"id": f"big{n}", "url": feed_server.url(f"/big{n}.rss")} for n in range(3)],
        "fetch": {"allow_private_networks": True},
    }
    config = tmp_path / "brand.yaml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    home = tmp_path / "home"
    polled = run(home, "veille", "--config", str(config), "--json")
    assert polled.returncode == 0, polled.stderr
    assert json.loads(polled.stdout)["mentions"] == 600
    unfiled = run(home, "inbox", "--config", str(config), "--status", "new", "--json")
    assert json.loads(unfiled.stdout) == []
    filed = [
        m
        for status in ("needs_reply", "ignored")
        for m in json.loads(
            run(home, "inbox", "--config", str(config), "--status", status, "--json").stdout
        )
    ]
    assert len(filed) == 600


def test_the_local_state_grows_with_what_changed(tmp_path: Path, config_file: Path) -> None:
    """A command journals what it wrote; an unchanged poll writes nothing at all."""
    home = tmp_path / "home"
    run(home, "veille", "--config", str(config_file))
    journal = home / "state" / "journal.jsonl"
    first = journal.read_text(encoding="utf-8").splitlines()
    ops = [json.loads(line) for line in first]
    assert ops and all(o["op"] in ("INSERT", "MODIFY", "REMOVE") for o in ops)
    # Only a batch's pending record is removed, once its items are stored.
    removed = [o["keys"]["PK"]["S"] for o in ops if o["op"] == "REMOVE"]
    assert removed and set(removed) == {"VEILLE#PENDING"}
    run(home, "veille", "--config", str(config_file))  # the feed answers 304
    assert journal.read_text(encoding="utf-8").splitlines() == first
    listed = run(home, "inbox", "--config", str(config_file), "--json")
    assert [m["text"] for m in json.loads(listed.stdout)] == ["Porte-voix recrute"]


def test_local_run_and_inbound_email(tmp_path: Path, config_file: Path) -> None:
    home = tmp_path / "home"
    eml = tmp_path / "plainte.eml"
    eml.write_bytes(
        b"From: Sam <sam@client.example>\r\nTo: contact@porte-voix.example\r\n"
        b"Subject: Remboursement\r\nMessage-ID: <r1@client.example>\r\n\r\n"
        b"Toujours pas rembourse apres trois semaines, c'est inadmissible.\r\n"
    )
    first = run(home, "local", "inbound", str(eml), "--config", str(config_file))
    assert first.returncode == 0, first.stderr
    again = run(home, "local", "inbound", str(eml), "--config", str(config_file))
    assert "already in the inbox" in again.stdout  # the same Message-ID: nothing doubled
    listed = json.loads(run(home, "inbox", "--config", str(config_file), "--json").stdout)
    assert [(m["source"], m["intent"]) for m in listed] == [("email", "complaint")]
    digest = run(home, "local", "run", "digest", "--config", str(config_file))
    assert digest.returncode == 0, digest.stderr
    assert json.loads(digest.stdout)["sent"]
    assert list((home / "outbox").glob("*digest*.html"))
    unknown = run(home, "local", "run", "tea", "--config", str(config_file))
    assert unknown.returncode == 2 and "no schedule 'tea'" in unknown.stderr
    missing = run(
        home, "local", "inbound", str(tmp_path / "nope.eml"), "--config", str(config_file)
    )
    assert missing.returncode == 2 and "cannot read" in missing.stderr
