"""`portevoix local serve` with the post commands, and a real browser on the approval page."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.fakes import FakeX
from tests.helpers import ROOT
from tests.integration.test_mastodon import alice_statuses

ARTIFACTS = ROOT / "tests" / "artifacts"


def cli(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {}), "PORTEVOIX_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "portevoix_local.cli", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        cwd=home.parent,
    )


@pytest.fixture
def stack(tmp_path: Path, api: str) -> Iterator[dict[str, Any]]:
    with serve(tmp_path, api) as env:
        yield env


@contextmanager
def serve(
    tmp_path: Path,
    api: str,
    *,
    accounts: list[dict[str, Any]] = (),
    sections: dict[str, Any] | None = None,
    env_extra: dict[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """``local serve`` on Cyclia's configuration (Mastodon and X, plus ``accounts`` and
    ``sections``), its home in ``tmp_path``; stopped (SIGTERM) at the end."""
    x = FakeX()
    config = {
        "brand": {"name": "Cyclia"},
        "sender": "veille@cyclia.example",
        "team": [
            {"email": "camille@cyclia.example", "language": "fr"},
            {"email": "alex@cyclia.example", "language": "fr"},
        ],
        "approvers": ["alex@cyclia.example"],
        "accounts": [
            {"network": "mastodon", "id": "masto", "instance": api, "secret": "env:MASTO_TOKEN"},
            {
                "network": "x",
                "id": "x",
                "user_id": FakeX.USER,
                "base": x.url,
                "secret": "env:X_TOKEN",
            },
            *accounts,
        ],
        "fetch": {"allow_private_networks": True, "interval_minutes": 1440},
        # carol speaks for the brand; four negative messages in an hour can be a surge
        "inbox": {"crisis_min": 4, "own_accounts": ["@carol"]},
        **(sections or {}),
    }
    (tmp_path / "brand.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    home = tmp_path / "home"
    env = {
        **os.environ,
        "PORTEVOIX_HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "MASTO_TOKEN": "alice_token",
        "X_TOKEN": FakeX.TOKEN,
        **(env_extra or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "portevoix_local.cli",
            "local",
            "serve",
            "--config",
            str(tmp_path / "brand.yaml"),
            "--port",
            "0",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 60
    while not (home / "serve.json").exists():
        if proc.poll() is not None or time.time() > deadline:
            raise AssertionError(
                f"local serve did not start: {proc.stdout.read() if proc.stdout else ''}"
            )
        time.sleep(0.2)
    info = json.loads((home / "serve.json").read_text())
    try:
        yield {"home": home, "info": info, "api": api, "x": x, "tmp": tmp_path, "env": env}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        x.close()
    assert (home / "state" / "journal.jsonl").exists()  # what changed is journaled


def write_post(tmp: Path, name: str, at: str | None = None) -> Path:
    draft = {
        "author": "camille@cyclia.example",
        "title": "Précommandes Urban 3",
        "variants": {
            "masto": {
                "text": "Les précommandes de l'Urban 3 ouvrent lundi ! #cyclia",
                "language": "fr",
            },
            "x": {"text": "Précommandes Urban 3 : lundi. #cyclia"},
        },
    }
    if at:
        draft["at"] = at
    path = tmp / name
    path.write_text(yaml.safe_dump(draft, allow_unicode=True), encoding="utf-8")
    return path


def status(stack: dict[str, Any], post_id: str) -> dict[str, Any]:
    result = cli(stack["home"], "post", "status", post_id, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wait_status(stack: dict[str, Any], post_id: str, wanted: str) -> dict[str, Any]:
    deadline = time.time() + 30
    while time.time() < deadline:
        state = status(stack, post_id)
        if state["status"] == wanted:
            return state
        time.sleep(0.3)
    raise AssertionError(f"post {post_id} is {state['status']}, not {wanted}")


def test_post_commands_against_the_running_stack(stack: dict[str, Any]) -> None:
    home = stack["home"]
    created = cli(home, "post", "create", str(write_post(stack["tmp"], "p1.yaml")), "--json")
    assert created.returncode == 0, created.stderr
    post = json.loads(created.stdout)
    assert post["status"] == "awaiting_approval"
    assert list(post["approval_links"]) == ["alex@cyclia.example"]
    assert post["approval_links"]["alex@cyclia.example"].startswith(stack["info"]["url"] + "/a/")

    assert (
        cli(home, "post", "reject", post["post_id"]).returncode == 2
    )  # a rejection needs a comment
    # The random half of the id, or any unique prefix of 6+ characters, names the post.
    approved = cli(home, "post", "approve", post["post_id"].split("-")[1][:6])
    assert approved.returncode == 0 and "approved by alex@cyclia.example" in approved.stdout
    nothing = cli(home, "post", "status", "zzzzzzzz")
    assert nothing.returncode == 2 and "no post 'zzzzzzzz'" in nothing.stderr
    state = wait_status(stack, post["post_id"], "published")
    assert state["networks"]["masto"]["status"] == "published"
    assert state["networks"]["x"]["url"].startswith("https://x.com/i/web/status/")
    assert len(alice_statuses(stack["api"])) == 1 and len(stack["x"].tweets) == 1
    again = cli(home, "post", "approve", post["post_id"])
    assert again.returncode == 1 and "Nothing changed" in again.stdout

    later = json.loads(
        cli(
            home,
            "post",
            "create",
            str(write_post(stack["tmp"], "p2.yaml", at="2031-01-06T10:00:00")),
            "--json",
        ).stdout
    )
    cli(home, "post", "approve", later["post_id"])
    wait_status(stack, later["post_id"], "approved")  # waiting for its time
    moved = cli(home, "post", "reschedule", later["post_id"], "--at", "2031-01-07T11:00")
    assert moved.returncode == 0 and "2031-01-07 11:00" in moved.stdout
    assert (
        wait_status(stack, later["post_id"], "awaiting_approval")["scheduled_at"]
        == "2031-01-07T10:00:00Z"
    )
    cancelled = cli(home, "post", "cancel", later["post_id"])
    assert cancelled.returncode == 0 and "cancelled" in cancelled.stdout
    assert status(stack, later["post_id"])["networks"]["masto"]["status"] == "pending"
    assert len(alice_statuses(stack["api"])) == 1


def test_a_spreadsheet_of_posts_all_or_nothing(stack: dict[str, Any]) -> None:
    home, tmp = stack["home"], stack["tmp"]
    bad = tmp / "bad.csv"
    bad.write_text(
        "date;time;accounts;text\n"
        "2031-01-06;10:00;masto;Bonne ligne\n"
        "2031-01-07;10:00;tiktok;Compte inconnu\n",
        encoding="utf-8",
    )
    refused = cli(home, "post", "import", str(bad), "--author", "camille@cyclia.example")
    assert refused.returncode == 2
    assert "nothing imported, 1 problem(s)" in refused.stderr
    assert "row 3, column accounts: no account 'tiktok'" in refused.stderr
    assert not list((home / "outbox").glob("*.eml"))  # no approval asked: nothing created
    good = tmp / "good.csv"
    good.write_text(
        "date,time,accounts,text,text_x\n"
        "2031-01-06,10:00,masto x,Les précommandes ouvrent lundi,Lundi !\n"
        "2031-01-08,11:15,masto,Et mercredi les essais\n",
        encoding="utf-8",
    )
    made = cli(home, "post", "import", str(good), "--author", "camille@cyclia.example", "--json")
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    assert [p["local_time"] for p in created] == ["2031-01-06 10:00", "2031-01-08 11:15"]
    for post in created:
        assert wait_status(stack, post["post_id"], "awaiting_approval")


def test_no_running_stack_is_a_clear_error(tmp_path: Path) -> None:
    result = cli(tmp_path / "nowhere", "post", "status", "x")
    assert result.returncode == 2 and "portevoix local serve" in result.stderr


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        if os.environ.get("PORTEVOIX_REQUIRE_BROWSER"):
            pytest.fail("Debian's chromium is required here (.ci/run installs it)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    return path


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless, with none of its calls out of this machine."""
    return playwright.chromium.launch(
        executable_path=chromium(),
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )


def test_approver_clicks_approve_in_a_real_browser(stack: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    chromium()  # skips, or fails in CI, before the stack does any work
    home = stack["home"]
    post = json.loads(
        cli(home, "post", "create", str(write_post(stack["tmp"], "p3.yaml")), "--json").stdout
    )
    # The approver's email, as it sits in the outbox, carries the link.
    emails = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted((home / "outbox").glob("*.eml"))
    ]
    mail = next(m for m in emails if m["To"] == "alex@cyclia.example" and "valider" in m["Subject"])
    link = re.search(
        r"http://127\.0\.0\.1:\d+/a/[\w-]+", mail.get_body(preferencelist=("plain",)).get_content()
    ).group(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="fr-FR")  # a phone
        page.goto(link)
        variants = page.locator("section.variant")
        assert variants.count() == 2
        assert (
            "ouvrent lundi" in variants.nth(0).inner_text()
            and "Urban 3 : lundi" in variants.nth(1).inner_text()
        )
        page.screenshot(path=str(ARTIFACTS / "approval-page.png"), full_page=True)
        page.get_by_role("button", name="Valider").click()
        page.wait_for_selector("#message")
        assert "décision enregistrée (validée)" in page.locator("#message").inner_text()
        page.screenshot(path=str(ARTIFACTS / "approval-done.png"), full_page=True)
        browser.close()
    state = wait_status(stack, post["post_id"], "published")
    assert all(n["status"] == "published" for n in state["networks"].values())
    assert requests  # (used by the Mastodon helper)


EMAIL = (
    b"From: Lea Martin <lea@client.example>\r\n"
    b"To: contact@cyclia.example\r\n"
    b"Subject: Ma commande\r\n"
    b"Message-ID: <q1@client.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Bonjour, quand ma commande Urban 3 sera-t-elle livr\xc3\xa9e ? Merci\r\n"
)


def test_every_command_acts_on_the_running_stack(stack: dict[str, Any]) -> None:
    """inbox, freeze, local inbound and local run talk to `local serve`, not to a copy."""
    from portevoix.core import aws, runtime, store
    from portevoix_local.serve import connect

    home, config = stack["home"], str(stack["tmp"] / "brand.yaml")
    eml = stack["tmp"] / "question.eml"
    eml.write_bytes(EMAIL)
    handed = cli(home, "local", "inbound", str(eml), "--config", config, env=stack["env"])
    assert handed.returncode == 0, handed.stderr
    assert "in the inbox" in handed.stdout
    found = [
        m
        for status in ("needs_reply", "new", "ignored")
        for m in json.loads(
            cli(home, "inbox", "--status", status, "--config", config, "--json").stdout
        )
    ]
    assert [m["source"] for m in found] == ["email"]
    assert found[0]["status"] != "new"  # the serve's stream consumer filed it
    assert cli(home, "freeze", "on", "--config", config).returncode == 0
    ran = cli(home, "local", "run", "digest", "--config", config, env=stack["env"])
    assert ran.returncode == 0, ran.stderr
    assert list((home / "outbox").glob("*digest*.eml"))
    saved = dict(os.environ)
    try:
        connect(home)
        assert store.get(*store.freeze_key())["frozen"] is True  # the running stack is frozen
    finally:
        os.environ.clear()
        os.environ.update(saved)
        aws.reset()
        runtime.reset()


@contextmanager
def on_the_stack(home: Path) -> Iterator[None]:
    """This process reads and writes the running stack's AWS (then lets go of it)."""
    from portevoix.core import aws, runtime
    from portevoix_local.serve import connect

    saved = dict(os.environ)
    try:
        connect(home)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        aws.reset()
        runtime.reset()


def outbox(home: Path, subject: str) -> list[Any]:
    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted((home / "outbox").glob("*.eml"))
    ]
    return [m for m in mails if subject in m["Subject"]]


def test_a_crisis_in_the_local_mode_holds_the_post_until_the_terminal_lifts_the_freeze(
    stack: dict[str, Any],
) -> None:
    """A quiet week, a surge, one alert per member; frozen through the alert's link, a post
    due meanwhile is held; `portevoix freeze off` while `local serve` runs publishes it once."""
    from datetime import UTC, datetime, timedelta

    from portevoix.core import store
    from tests.integration.test_mastodon import as_user

    home, api, env = stack["home"], stack["api"], stack["env"]
    config = str(stack["tmp"] / "brand.yaml")
    now = datetime.now(UTC)
    with on_the_stack(home):  # the baseline: a quiet week, 0 or 1 negative message an hour
        for h in range(1, 7 * 24):
            if h % 2:
                store.add_counts(now - timedelta(hours=h), {"negative": 1})
    angry = [
        "@alice Ma batterie Urban 3 a pris feu dans le garage, c'est scandaleux et dangereux",
        "@alice Batterie qui fond, vélo inutilisable, service client injoignable : honteux",
        "@alice Encore une batterie brûlée chez un ami, je veux un remboursement immédiat",
        "@alice Rappel produit quand ? Ma batterie chauffe et sent le brûlé, c'est inadmissible",
        "@alice Deuxième incendie de batterie cette semaine, vous mettez des gens en danger",
    ]
    for text in angry:
        as_user(api, "bob_token", "POST", "/api/v1/statuses", json={"status": text})
    own = "@alice Batteries en panne : nous sommes désolés, un problème grave, on s'en occupe"
    as_user(api, "carol_token", "POST", "/api/v1/statuses", json={"status": own})
    for _ in range(2):  # a second poll finds nothing new, and alerts nobody again
        polled = cli(home, "veille", "--config", config, env=env)
        assert polled.returncode == 0, polled.stdout + polled.stderr
    alerts = outbox(home, "pic de messages négatifs")
    recipients = sorted(a.strip() for m in alerts for a in m["To"].split(","))
    assert recipients == ["alex@cyclia.example", "camille@cyclia.example"]  # once each
    body = alerts[0].get_body(preferencelist=("plain",)).get_content()
    assert "5 messages négatifs cette heure-ci" in body and "pris feu" in body
    assert "nous sommes désolés" not in body  # the brand's own post: not listed, not counted
    with on_the_stack(home):
        hour = now.replace(minute=0, second=0, microsecond=0)
        assert store.read_counts(hour, hour + timedelta(hours=1))[hour]["negative"] == 5

    # Freeze through the alert's link (its page, then its button).
    link = re.search(r"http://127\.0\.0\.1:\d+/m/[\w-]+", body).group(0)
    page = requests.get(link, timeout=10).text
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    frozen = requests.post(link, data={"form_token": token, "action": "freeze"}, timeout=10)
    assert "retenue, pas abandonnée" in frozen.text

    created = cli(home, "post", "create", str(write_post(stack["tmp"], "due.yaml")), "--json")
    post_id = json.loads(created.stdout)["post_id"]
    assert cli(home, "post", "approve", post_id).returncode == 0
    wait_status(stack, post_id, "held")
    time.sleep(1)
    assert alice_statuses(api) == [] and stack["x"].tweets == []  # due, and nothing went out

    lifted = cli(home, "freeze", "off", "--config", config, env=env)
    assert lifted.returncode == 0, lifted.stderr
    assert f"released  {post_id}" in lifted.stdout
    state = wait_status(stack, post_id, "published")
    assert state["networks"]["x"]["status"] == "published"
    assert cli(home, "local", "run", "inbox", "--config", config, env=env).returncode == 0
    assert cli(home, "freeze", "off", "--config", config, env=env).returncode == 0
    time.sleep(1)
    assert len(alice_statuses(api)) == 1 and len(stack["x"].tweets) == 1  # exactly once


def test_accounts_connect_prints_a_link_that_opens_the_connect_page(
    stack: dict[str, Any],
) -> None:
    import requests

    config = str(stack["tmp"] / "brand.yaml")
    home = stack["home"]
    done = cli(home, "accounts", "connect", "bluesky", "--no-browser", "--config", config)
    assert done.returncode == 0, done.stderr
    link = re.search(r"http://127\.0\.0\.1:\d+/signin/\S+", done.stdout).group(0)
    assert "/accounts/callback" in done.stdout  # what to register as the redirect URI
    browser = requests.Session()
    page = browser.get(link, timeout=10)
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    nxt = re.search(r'name="next" value="([^"]+)"', page.text).group(1)
    signed = browser.post(
        link.split("?")[0],
        data={"form_token": token, "next": nxt},
        timeout=10,
        allow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["Location"] == "/accounts/connect/bluesky"
    cookie = signed.headers["Set-Cookie"].split(";", 1)[0]  # Secure: requests keeps it for https
    form = browser.get(
        link.split("/signin/")[0] + "/accounts/connect/bluesky",
        headers={"Cookie": cookie},
        timeout=10,
    )
    assert "Vérifier et connecter" in form.text
    stranger = cli(home, "accounts", "connect", "x", "--as", "eve@else.example", "--config", config)
    assert stranger.returncode == 2 and "not in the configuration's team" in stranger.stderr


def test_a_hostile_display_name_never_reaches_the_terminal(stack: dict[str, Any]) -> None:
    """NUL, BEL, ESC and U+202E in a name and a text: `portevoix inbox` prints neither."""
    from tests.integration.test_mastodon import as_user

    api = stack["api"]
    name = {"display_name": "Bob\x00\x07\x1b[2J\u202eliam"}
    as_user(api, "bob_token", "PATCH", "/api/v1/accounts/update_credentials", data=name)
    status = {"status": "@alice Vous livrez ?\x1b[31m\u202e en Belgique"}
    as_user(api, "bob_token", "POST", "/api/v1/statuses", json=status)
    config = str(stack["tmp"] / "brand.yaml")
    polled = cli(stack["home"], "veille", "--config", config, env=stack["env"])
    assert polled.returncode == 0, polled.stdout + polled.stderr
    shown = cli(stack["home"], "inbox", "--config", config, env=stack["env"])
    assert shown.returncode == 0 and "Vous livrez" in shown.stdout, shown.stdout
    assert not re.search(
        r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]", shown.stdout
    )
