"""The studio as a person uses it, in real Chromium, on a laptop and on a phone.

Sign in from the emailed link, write a post for two accounts, see the charter
block the X variant live, send it for approval, approve it from the email, and
find it published on the calendar with its link. Every page passes axe-core
(no serious or critical violation); screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.test_local_serve import (  # noqa: F401 - the stack fixture
    chromium,
    cli,
    launch,
    stack,
    wait_status,
    write_post,
)
from tests.helpers import ROOT
from tests.integration.test_mastodon import alice_statuses, png

ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "tests" / "e2e" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
LAPTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def axe_script() -> str:
    if not AXE.exists():
        if os.environ.get("PORTEVOIX_REQUIRE_BROWSER"):
            pytest.fail(f"{AXE} is missing: `make axe` installs it (npm)")
        pytest.skip("axe-core not installed (make axe)")
    return AXE.read_text(encoding="utf-8")


def accessible(page: Any, name: str) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: the page's own CSP (script-src 'self')
        # stays in force for everything else.
        page.evaluate(axe_script() + "\n;0")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: {bad}"


def fits(page: Any, name: str) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"studio-{name}.png"), full_page=True)


def on_phone(browser: Any, context: Any, base: str, pages: dict[str, str]) -> None:
    """The same member's pages at phone width: nothing scrolls sideways, axe passes, a shot."""
    small = browser.new_context(
        viewport=PHONE, locale="fr-FR", storage_state=context.storage_state()
    ).new_page()
    for name, path in pages.items():
        small.goto(base + path)
        fits(small, name)
        accessible(small, name)
        shot(small, name)


def outbox_link(home: Path, to: str, pattern: str, after: float = 0) -> str:
    deadline = time.time() + 20
    while time.time() < deadline:
        for path in sorted((home / "outbox").glob("*.eml"), reverse=True):
            if path.stat().st_mtime < after:
                continue
            mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            if to not in mail["To"]:
                continue
            found = re.search(pattern, mail.get_body(preferencelist=("plain",)).get_content())
            if found:
                return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no email to {to} with {pattern}")


@pytest.mark.slow
def test_a_community_manager_plans_a_post_from_the_studio(stack: dict[str, Any]) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    chromium()
    axe_script()
    base, home = stack["info"]["url"], stack["home"]
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
        page = context.new_page()

        # Sign in: the form, the email in the outbox, the button behind the link.
        page.goto(base + "/calendar")
        expect(page).to_have_url(re.compile(r"/signin"))
        accessible(page, "signin")
        asked = time.time() - 1
        page.get_by_label("Adresse e-mail").fill("camille@cyclia.example")
        page.get_by_role("button", name="Recevoir le lien").click()
        expect(page.get_by_role("status")).to_contain_text("un lien de connexion vient de partir")
        link = outbox_link(
            home, "camille@cyclia.example", r"http://127\.0\.0\.1:\d+/signin/\S+", asked
        )
        page.goto(link)
        accessible(page, "signin-confirm")
        page.get_by_role("button", name="Continuer").click()
        expect(page).to_have_url(re.compile(r"/calendar$"))
        accessible(page, "calendar")

        # Compose: one text for Mastodon and X; too long for X, the charter says so live.
        page.get_by_role("link", name="Nouvelle publication").click()
        page.get_by_label("Titre (pour l'équipe)").fill("Précommandes Urban 3")
        page.get_by_label("Heure (Europe/Paris)").fill("10:30")
        long_text = "Les précommandes de l'Urban 3 ouvrent lundi à 9 h sur notre site. " * 5
        page.get_by_label("Texte commun", exact=True).fill(long_text.strip() + " #cyclia")
        x_box = page.locator("fieldset[data-account=x]")
        masto_box = page.locator("fieldset[data-account=masto]")
        expect(x_box.locator("li.error[data-rule=length]")).to_contain_text("le maximum est 280")
        expect(masto_box.locator("li.ok")).to_be_visible()
        expect(masto_box.locator("[data-preview] .tag")).to_have_text("#cyclia")
        accessible(page, "compose")
        shot(page, "compose-blocked")
        x_box.get_by_label("Texte adapté pour x").fill("Précommandes Urban 3 : lundi 9 h. #cyclia")
        expect(x_box.locator("li.ok")).to_be_visible()
        # An image: one that lies about its type is refused by its bytes, a true one is kept
        # and asks for its alt text; each network's preview shows it in its own crop.
        files = page.locator("#files")
        files.set_input_files(files=[{"name": "v.jpg", "mimeType": "image/jpeg", "buffer": png()}])
        expect(page.locator("#media-error")).to_contain_text("its bytes are image/png")
        files.set_input_files(
            files=[{"name": "urban3.png", "mimeType": "image/png", "buffer": png()}]
        )
        thumb = page.locator("#thumbs li")
        expect(thumb).to_have_count(1)
        # The preview shows a small copy the browser drew and uploaded, not the original.
        expect(thumb).to_have_attribute("data-thumb", re.compile(r"-t\.jpg$"))
        thumb.get_by_label("Texte alternatif").fill("Le vélo Urban 3, vert, de profil")
        expect(masto_box.locator("[data-crop] img")).to_be_visible()
        expect(x_box.locator(".crop-x")).to_be_visible()
        shot(page, "compose-image")
        page.get_by_label("Publier dès la validation").check()
        page.get_by_role("button", name="Envoyer en validation").click()
        expect(page).to_have_url(re.compile(r"/posts/[\w-]+$"))
        post_id = page.url.rsplit("/", 1)[1]
        accessible(page, "post")

        # Approve from the approver's email: it goes out at once, to both networks.
        approval = outbox_link(home, "alex@cyclia.example", r"http://127\.0\.0\.1:\d+/a/[\w-]+")
        page.goto(approval)
        page.get_by_role("button", name="Valider").click()
        page.wait_for_selector("#message")
        state = wait_status(stack, post_id, "published")
        tweet = state["networks"]["x"]["url"]
        assert tweet.startswith("https://x.com/") and len(stack["x"].tweets) == 1
        assert len(stack["x"].media_ids) == 1  # the image went to X too
        (toot,) = alice_statuses(stack["api"])
        (attached,) = toot["media_attachments"]
        assert attached["description"] == "Le vélo Urban 3, vert, de profil"

        # The calendar shows it on its day, published with its link; the target counts it.
        page.goto(base + "/calendar?view=week&date=" + state["local_time"][:10])
        card = page.locator(f"[data-post='{post_id}']")
        expect(card).to_have_attribute("data-status", "published")
        expect(card).to_contain_text("Précommandes Urban 3")
        expect(card.get_by_role("link", name="x ↗")).to_have_attribute("href", tweet)
        expect(page.locator(".target[data-account=x]")).to_have_attribute("data-planned", "1")
        accessible(page, "calendar-week")
        shot(page, "calendar-week-laptop")
        page.goto(base + "/calendar")
        shot(page, "calendar-month-laptop")

        # The same pages on a phone: nothing scrolls sideways, everything passes axe.
        pages = {"calendar-phone": "/calendar", "compose-phone": "/compose"}
        on_phone(browser, context, base, {**pages, "post-phone": f"/posts/{post_id}"})

        # A lost phone: `portevoix sessions revoke` ends every session of the member.
        config = str(stack["tmp"] / "brand.yaml")
        revoked = cli(home, "sessions", "revoke", "camille@cyclia.example", "--config", config)
        assert revoked.returncode == 0 and "1 studio session(s)" in revoked.stdout, revoked.stderr
        page.goto(base + "/calendar")
        expect(page).to_have_url(re.compile(r"/signin\?next=%2Fcalendar$"))
        browser.close()


def sign_in(page: Any, base: str, home: Path, email: str) -> None:
    """The member asks for a link, finds it in the outbox and confirms."""
    from playwright.sync_api import expect

    page.goto(base + "/signin")
    asked = time.time() - 1
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.goto(outbox_link(home, email, r"http://127\.0\.0\.1:\d+/signin/\S+", asked))
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/calendar$"))


def published(stack: dict[str, Any], account: str, title: str, text: str) -> str:  # noqa: F811
    """A post created, approved and published from the terminal; its id."""
    draft = stack["tmp"] / f"{account}-{len(title)}.yaml"
    draft.write_text(
        yaml.safe_dump(
            {
                "author": "camille@cyclia.example",
                "title": title,
                "variants": {account: {"text": text}},
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    created = cli(stack["home"], "post", "create", str(draft), "--json")
    assert created.returncode == 0, created.stderr
    post_id = json.loads(created.stdout)["post_id"]
    assert cli(stack["home"], "post", "approve", post_id).returncode == 0
    wait_status(stack, post_id, "published")
    return post_id


def masto_statuses(api: str, username: str) -> list[dict[str, Any]]:
    from tests.integration.test_mastodon import as_user

    me = as_user(api, "carol_token", "GET", "/api/v1/accounts/lookup", params={"acct": username})
    return as_user(api, "carol_token", "GET", f"/api/v1/accounts/{me['id']}/statuses")


@pytest.mark.slow
def test_a_mastodon_account_connected_from_the_studio_publishes(
    stack: dict[str, Any],  # noqa: F811
) -> None:
    """Reconnect the Mastodon account as bob from the browser: the token lands in SSM
    (SecureString), the configuration file names it, and the next post goes out as bob."""
    import boto3
    from playwright.sync_api import expect, sync_playwright

    chromium()
    axe_script()
    base, home, api = stack["info"]["url"], stack["home"], stack["api"]
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
        page = context.new_page()
        sign_in(page, base, home, "camille@cyclia.example")
        page.get_by_role("link", name="Comptes").click()
        expect(page.locator("[data-account=masto]")).to_contain_text(api)
        accessible(page, "accounts")
        shot(page, "accounts-laptop")
        page.get_by_role("link", name="Reconnecter masto").click()
        page.get_by_label("Adresse de l'instance").fill(api)
        accessible(page, "connect-mastodon")
        page.get_by_role("button", name="Continuer").click()
        host = api.split("://", 1)[1]
        go = page.get_by_role("link", name=f"Continuer vers {host}")
        accessible(page, "connect-continue")
        shot(page, "connect-continue")
        go.click()
        # The instance's own consent page: pick bob and allow.
        page.get_by_role("button", name=re.compile(r"@bob\b")).click()
        expect(page.get_by_role("status")).to_contain_text("Mastodon est connecté : @bob@")
        accessible(page, "connected")
        shot(page, "connected")

        # Phone-sized: the Accounts page and the Connect form fit and pass axe.
        pages = {"accounts-phone": "/accounts", "connect-phone": "/accounts/connect/bluesky"}
        on_phone(browser, context, base, pages)

        info = stack["info"]
        ssm = boto3.client(
            "ssm",
            endpoint_url=info["aws_endpoint"],
            region_name=info["region"],
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106
        )
        found = ssm.get_parameter(Name="/portevoix/mastodon/masto", WithDecryption=True)
        assert found["Parameter"]["Type"] == "SecureString"
        token = found["Parameter"]["Value"]
        assert token not in (home / "state" / "journal.jsonl").read_text()  # not in the table
        saved = yaml.safe_load((stack["tmp"] / "brand.yaml").read_text(encoding="utf-8"))
        masto = next(a for a in saved["accounts"] if a.get("id") == "masto")
        assert masto["secret"] == "ssm:/portevoix/mastodon/masto"

        # The first post through the connected account goes out as bob.
        created = cli(home, "post", "create", str(write_post(stack["tmp"], "first.yaml")), "--json")
        assert created.returncode == 0, created.stderr
        post_id = json.loads(created.stdout)["post_id"]
        page.goto(outbox_link(home, "alex@cyclia.example", r"http://127\.0\.0\.1:\d+/a/[\w-]+"))
        page.get_by_role("button", name="Valider").click()
        wait_status(stack, post_id, "published")
        (toot,) = masto_statuses(api, "bob")
        assert "précommandes" in toot["content"].lower()
        browser.close()


@pytest.mark.slow
def test_settings_add_a_feed_and_a_keyword_refuse_an_invalid_one_and_restore(
    stack: dict[str, Any],  # noqa: F811
    feed_server: Any,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    chromium()
    axe_script()
    base, home = stack["info"]["url"], stack["home"]
    feed_server.set(
        "/site.html",
        b'<!doctype html><html><head><title>V</title><link rel="alternate" '
        b'type="application/rss+xml" href="/feed.xml"></head><body></body></html>',
        "text/html",
    )
    feed_server.set(
        "/feed.xml",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Velo Mag</title>'
        b"<link>https://velo.example/</link><item><title>Urban 3</title>"
        b"<link>https://velo.example/u3</link></item></channel></rss>",
    )
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
        page = context.new_page()
        sign_in(page, base, home, "camille@cyclia.example")
        page.get_by_role("link", name="Réglages").click()
        accessible(page, "settings")
        shot(page, "settings-laptop")
        first = int(page.locator("[data-version]").first.get_attribute("data-version"))

        # A feed by its site's page: tested, the advertised feed found, the diff, then saved.
        page.get_by_label("Adresse du flux ou du site").fill(feed_server.url("/site.html"))
        page.get_by_role("button", name="Tester et ajouter").click()
        expect(page.locator("pre.diff")).to_contain_text(feed_server.url("/feed.xml"))
        accessible(page, "settings-review")
        shot(page, "settings-review")
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_role("status")).to_contain_text(f"version {first + 1}")
        expect(page.locator(f"[data-feed='{feed_server.url('/feed.xml')}']")).to_be_visible()

        # A topic with no keyword is refused, the field named; then a real keyword.
        topics = page.get_by_label("Un thème par ligne")
        topics.fill("vélo:")
        page.get_by_role("button", name="Vérifier les changements Thèmes et mots-clés").click()
        expect(page.get_by_role("alert")).to_contain_text("topics: topic 'vélo' has no keywords")
        accessible(page, "settings-refused")
        page.get_by_label("Un thème par ligne").fill("vélo: Urban 3")
        page.get_by_role("button", name="Vérifier les changements Thèmes et mots-clés").click()
        expect(page.locator("pre.diff")).to_contain_text("Urban 3")
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_role("status")).to_contain_text(f"version {first + 2}")
        saved = yaml.safe_load((stack["tmp"] / "brand.yaml").read_text(encoding="utf-8"))
        assert saved["topics"] == {"vélo": ["Urban 3"]}  # the local file follows the studio
        assert saved["feeds"][-1]["url"] == feed_server.url("/feed.xml")

        # Restore the version before the feed: both changes are undone.
        page.get_by_role("button", name=f"Restaurer Version {first}").click()
        expect(page.locator("pre.diff")).to_contain_text("Urban 3")
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_role("status")).to_contain_text(f"version {first + 3}")
        restored = yaml.safe_load((stack["tmp"] / "brand.yaml").read_text(encoding="utf-8"))
        assert "topics" not in restored and not restored.get("feeds")

        on_phone(browser, context, base, {"settings-phone": "/settings"})
        browser.close()


@pytest.mark.slow
def test_the_team_inbox_takes_replies_and_hides_from_the_browser(
    stack: dict[str, Any],  # noqa: F811
) -> None:
    """Two messages arrive (Mastodon and X); Camille takes one and replies with the edited
    template, Alex sees it taken; the X insult is archived, then hidden on X."""
    from playwright.sync_api import expect, sync_playwright

    from tests.integration.test_mastodon import as_user

    chromium()
    axe_script()
    base, home, api, x = stack["info"]["url"], stack["home"], stack["api"], stack["x"]
    as_user(
        api,
        "bob_token",
        "POST",
        "/api/v1/statuses",
        json={"status": "@alice Vous livrez en Belgique ?"},
    )
    insult = x.add_mention("@cyclia bande de nuls, arnaque totale, vous êtes des escrocs")
    config = str(stack["tmp"] / "brand.yaml")
    polled = cli(home, "veille", "--config", config, env=stack["env"])
    assert polled.returncode == 0 and "2 new mention(s)" in polled.stdout, polled.stdout
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
        page = context.new_page()
        sign_in(page, base, home, "camille@cyclia.example")
        page.get_by_role("link", name="Boîte de réception").click()
        question = page.locator("li.msg", has_text="Vous livrez en Belgique")
        expect(question).to_be_visible()
        expect(page.locator("li.msg", has_text="escrocs")).to_be_visible()
        accessible(page, "inbox")
        shot(page, "inbox-laptop")
        question.get_by_role("button", name=re.compile("Je m'en occupe")).click()
        expect(page.get_by_role("status")).to_contain_text("Message pris")
        expect(question).to_contain_text("Pris par camille@cyclia.example")

        # Alex, on a phone, sees it taken.
        other = browser.new_context(viewport=PHONE, locale="fr-FR")
        alex = other.new_page()
        sign_in(alex, base, home, "alex@cyclia.example")
        alex.goto(base + "/inbox")
        expect(alex.locator("li.msg", has_text="Vous livrez")).to_contain_text(
            "Pris par camille@cyclia.example"
        )
        fits(alex, "inbox-phone")
        accessible(alex, "inbox-phone")
        shot(alex, "inbox-phone")

        # Camille replies from the message's page, editing the text first.
        question.get_by_role("link", name=re.compile("Ouvrir")).click()
        accessible(page, "inbox-message")
        shot(page, "inbox-message")
        page.get_by_label("Votre réponse (modifiable)").fill("Bonjour Bob, oui, dès lundi !")
        page.get_by_role("button", name="Envoyer la réponse").click()
        expect(page.get_by_role("status")).to_contain_text("Réponse envoyée")
        toots = [s for s in masto_statuses(api, "alice") if "dès lundi" in s["content"]]
        assert len(toots) == 1 and toots[0]["in_reply_to_id"]

        # The urgent email about the insult, opened as a person would: every button works.
        (urgent,) = sorted((home / "outbox").glob("*inbox-urgent*.html"))
        mail = browser.new_page(viewport=PHONE)
        mail.goto(urgent.as_uri())
        card = mail.locator("[data-card]", has_text="escrocs")
        for action, label in (("reply", "Répondre"), ("handled", "Traité"), ("hide", "Masquer")):
            button = card.locator(f"a[data-action={action}]")
            expect(button).to_have_text(label)
            with mail.expect_navigation():
                button.click()
            expect(mail.locator(".meta")).to_contain_text("@fan")  # the message's own page
            if action != "reply":  # the chosen action first, still behind a button
                expect(mail.locator(f"#focus button.{action}")).to_be_visible()
            mail.go_back()
        shot(mail, "inbox-email")
        take = card.locator("a[data-action=take]")
        expect(take).to_have_attribute("href", re.compile(r"/inbox/m/x%23"))
        assert x.hidden == set()  # opening links changed nothing

        # The insult on X: archived, then hidden there.
        page.goto(base + "/inbox")
        page.locator("li.msg", has_text="escrocs").get_by_role(
            "link", name=re.compile("Ouvrir")
        ).click()
        page.get_by_role("button", name="Archiver et masquer").click()
        expect(page.get_by_role("status")).to_contain_text("Archivé puis masqué")
        assert insult in x.hidden
        browser.close()


@pytest.mark.slow
def test_the_crisis_room_holds_posts_and_releases_them_one_by_one(
    stack: dict[str, Any],  # noqa: F811
) -> None:
    """A surge opens an episode; Camille freezes from the crisis room, two due posts are
    held (the calendar says so), and she releases them one by one, each published once."""
    from playwright.sync_api import expect, sync_playwright

    from tests.integration.test_mastodon import as_user

    chromium()
    axe_script()
    base, home, api, x = stack["info"]["url"], stack["home"], stack["api"], stack["x"]
    config = str(stack["tmp"] / "brand.yaml")
    for text in (
        "@alice Ma batterie a pris feu, c'est scandaleux et dangereux",
        "@alice Batterie brûlée, vélo inutilisable, honteux",
        "@alice Encore une batterie qui fond, je veux un remboursement",
        "@alice Votre site de rappel https://recall.example/urban plante, lamentable",
        "@alice Batterie en feu dans mon garage, inadmissible",
    ):
        as_user(api, "bob_token", "POST", "/api/v1/statuses", json={"status": text})
    assert cli(home, "veille", "--config", config, env=stack["env"]).returncode == 0
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
        page = context.new_page()
        sign_in(page, base, home, "camille@cyclia.example")
        page.get_by_role("link", name="Crise").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Salle de crise")
        expect(page.locator("details.theme").first).to_contain_text("batterie")
        expect(page.locator(".curve rect.over")).to_have_count(1)
        page.get_by_role("button", name="Geler les publications").click()
        expect(page.locator("#freeze-state")).to_contain_text("gelées")

        ids = []
        for n, name in enumerate(("a.yaml", "b.yaml")):
            draft = write_post(stack["tmp"], name)
            draft.write_text(draft.read_text().replace("lundi", f"lundi ({n + 1}/2)"))
            made = cli(home, "post", "create", str(draft), "--json")
            ids.append(json.loads(made.stdout)["post_id"])
            assert cli(home, "post", "approve", ids[-1]).returncode == 0
        for post_id in ids:
            wait_status(stack, post_id, "held")
        page.reload()
        held = page.locator("[data-held]")
        expect(held).to_have_count(2)
        accessible(page, "crisis")
        shot(page, "crisis-laptop")
        page.goto(base + "/calendar")
        expect(page.locator("[data-status=held]")).to_have_count(2)
        assert alice_statuses(api) == [] and x.tweets == []  # due, held, nothing out

        page.goto(base + "/crisis")
        for done, post_id in enumerate(ids, start=1):
            row = page.locator(f"[data-held='{post_id}']")
            row.get_by_role("button", name=re.compile("Publier maintenant")).click()
            expect(page.get_by_role("status")).to_contain_text("est libérée")
            wait_status(stack, post_id, "published")
            assert len(alice_statuses(api)) == done and len(x.tweets) == done
            expect(page.locator("[data-held]")).to_have_count(2 - done)
        page.get_by_role("button", name="Lever le gel").click()
        log = page.locator("ol.log")
        expect(log).to_contain_text("A gelé les publications")
        expect(log).to_contain_text("A libéré : Précommandes Urban 3")
        expect(log).to_contain_text("A levé le gel")
        shot(page, "crisis-after")
        on_phone(browser, context, base, {"crisis-phone": "/crisis"})
        browser.close()
    time.sleep(1)
    assert len(alice_statuses(api)) == 2 and len(x.tweets) == 2  # each exactly once


ANGRY = (
    "@alice Ma batterie a pris feu, c'est scandaleux et dangereux",
    "@alice Batterie brûlée, vélo inutilisable, honteux",
    "@alice Encore une batterie qui fond, je veux un remboursement",
    "@alice Votre site de rappel https://recall.example/urban plante, lamentable",
    "@alice Batterie en feu dans mon garage, inadmissible",
)


@pytest.mark.slow
def test_the_holding_statement_is_approved_once_published_everywhere_and_answers_all(
    stack: dict[str, Any],  # noqa: F811
) -> None:
    """During a freeze, Camille writes the holding statement in the crisis room; Alex approves
    it once from the email; it goes out on Mastodon and X; it answers the five messages."""
    from playwright.sync_api import expect, sync_playwright

    from tests.integration.test_mastodon import as_user

    chromium()
    axe_script()
    base, home, api, x = stack["info"]["url"], stack["home"], stack["api"], stack["x"]
    for text in ANGRY:
        as_user(api, "bob_token", "POST", "/api/v1/statuses", json={"status": text})
    assert (
        cli(
            home, "veille", "--config", str(stack["tmp"] / "brand.yaml"), env=stack["env"]
        ).returncode
        == 0
    )
    said = "Nous avons vu vos messages sur les batteries : nous revenons vers vous ici très vite."
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
        page = context.new_page()
        sign_in(page, base, home, "camille@cyclia.example")
        page.goto(base + "/crisis")
        page.get_by_role("button", name="Geler les publications").click()
        page.get_by_label("Texte (fr)").fill(said)
        expect(page.locator("#statement")).to_contain_text("Part sur : masto (fr), x (fr)")
        asked = time.time() - 1
        page.get_by_role("button", name="Envoyer pour validation").click()
        expect(page.get_by_role("status")).to_contain_text("une seule validation")
        expect(page.locator("#statement")).to_contain_text("Message d'attente : ")

        approval = browser.new_page(viewport=PHONE, locale="fr-FR")
        approval.goto(
            outbox_link(home, "alex@cyclia.example", r"http://127\.0\.0\.1:\d+/a/[\w-]+", asked)
        )
        expect(approval.locator("section.variant")).to_have_count(2)
        approval.get_by_role("button", name="Valider").click()
        expect(approval.locator("#message")).to_contain_text("validée")
        deadline = time.time() + 30
        while len(x.tweets) < 1 and time.time() < deadline:
            time.sleep(0.2)
        assert [t["text"] for t in x.tweets] == [said]  # out during the freeze
        assert [s for s in alice_statuses(api) if "revenons vers vous" in s["content"]]

        page.reload()
        reply = page.get_by_role("button", name="Y répondre avec : 5 messages en attente")
        accessible(page, "crisis-statement")
        shot(page, "crisis-statement")
        reply.click()
        expect(page.get_by_role("status")).to_contain_text(
            "Réponses envoyées avec le message d'attente : 5"
        )
        expect(page.get_by_role("button", name=re.compile("Y répondre avec"))).to_have_count(0)
        expect(page.locator("ol.log")).to_contain_text("A répondu avec le message d'attente : 5")
        expect(page.locator("ol.log")).to_contain_text(
            "A validé le message d'attente : publié sur 2"
        )
        browser.close()
    answers = [s for s in alice_statuses(api) if s.get("in_reply_to_id")]
    assert len(answers) == 5 and all("revenons vers vous" in s["content"] for s in answers)
    assert len(x.tweets) == 1


@pytest.mark.slow
def test_a_poll_from_the_composer_checked_live_then_its_results_on_the_post_page(
    stack: dict[str, Any],  # noqa: F811
) -> None:
    """A choice too long for X is caught as it is typed; the poll goes out on Mastodon and X;
    after the daily run the post page shows each network's votes."""
    from playwright.sync_api import expect, sync_playwright

    from tests.integration.test_mastodon import as_user

    chromium()
    axe_script()
    base, home, api, x = stack["info"]["url"], stack["home"], stack["api"], stack["x"]
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
        page = context.new_page()
        sign_in(page, base, home, "camille@cyclia.example")
        page.goto(base + "/compose")
        page.get_by_label("Titre (pour l'équipe)").fill("Couleur de l'Urban 3")
        page.get_by_label("Texte commun", exact=True).fill(
            "Quelle couleur pour l'Urban 3 ? #cyclia"
        )
        page.locator("summary", has_text="Sondage").click()
        choices = page.get_by_label("Choix, un par ligne (2 à 4)")
        choices.fill("Sable\nArdoise profonde et mystérieuse\nVert d'eau")
        x_box = page.locator("fieldset[data-account=x]")
        expect(x_box.locator("li.error[data-rule=poll]")).to_contain_text("1 à 25 caractères")
        expect(page.locator("fieldset[data-account=masto] li.ok")).to_be_visible()
        accessible(page, "compose-poll")
        shot(page, "compose-poll")
        choices.fill("Sable\nArdoise\nVert d'eau")
        expect(x_box.locator("li.ok")).to_be_visible()
        page.get_by_label("Publier dès la validation").check()
        page.get_by_role("button", name="Envoyer en validation").click()
        expect(page).to_have_url(re.compile(r"/posts/[\w-]+$"))
        post_id = page.url.rsplit("/", 1)[1]
        approval = outbox_link(home, "alex@cyclia.example", r"http://127\.0\.0\.1:\d+/a/[\w-]+")
        other = browser.new_page(locale="fr-FR")
        other.goto(approval)
        expect(other.locator("[data-poll=x] li")).to_have_text(["Sable", "Ardoise", "Vert d'eau"])
        other.get_by_role("button", name="Valider").click()
        other.wait_for_selector("#message")
        wait_status(stack, post_id, "published")

        (toot,) = alice_statuses(api)
        poll_id = toot["poll"]["id"]
        for voter in ("bob_token", "carol_token"):
            as_user(api, voter, "POST", f"/api/v1/polls/{poll_id}/votes", json={"choices": ["1"]})
        for option, votes in zip(x.tweets[0]["poll"]["options"], (5, 2, 3), strict=True):
            option["votes"] = votes
        config = str(stack["tmp"] / "brand.yaml")
        ran = cli(home, "local", "run", "metrics", "--config", config, env=stack["env"])
        assert ran.returncode == 0, ran.stderr
        page.goto(base + f"/posts/{post_id}")
        expect(page.locator("[data-poll=masto]")).to_contain_text("Sondage en cours : 2 votes")
        expect(page.locator("[data-poll=x] li").nth(0)).to_contain_text("5 · 50 %")
        accessible(page, "post-poll")
        shot(page, "post-poll")
        browser.close()


@pytest.mark.slow
def test_a_boost_asked_for_on_the_post_page_is_approved_with_its_budget_and_runs_once(
    tmp_path: Path, api: str
) -> None:
    """A Facebook post is out; Camille asks for a 49.90 € boost from its page, Alex sees the
    budget on the approval page (laptop and phone) and approves: one campaign runs on Meta."""
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.test_local_serve import serve
    from tests.fakes import FakeGraph, FakeMetaAds

    chromium()
    axe_script()
    graph, meta = FakeGraph(), FakeMetaAds()
    facebook = {
        "network": "facebook",
        "id": "fb",
        "page_id": FakeGraph.PAGE,
        "base": graph.url,
        "secret": "env:PAGE_TOKEN",
    }
    rules = {
        "max_budget": 100,
        "ad_accounts": [
            {
                "id": "meta-ads",
                "network": "meta",
                "ad_account": FakeMetaAds.ACT,
                "boosts": ["fb"],
                "secret": "env:ADS_TOKEN",
                "audiences": {"fans-fr": FakeMetaAds.AUDIENCE},
                "dsa_beneficiary": "Cyclia SAS",
                "dsa_payor": "Cyclia SAS",
                "base": meta.url,
            }
        ],
    }
    tokens = {"PAGE_TOKEN": FakeGraph.TOKEN, "ADS_TOKEN": FakeMetaAds.TOKEN}
    try:
        with serve(
            tmp_path, api, accounts=[facebook], sections={"boosts": rules}, env_extra=tokens
        ) as stack:
            base, home = stack["info"]["url"], stack["home"]
            post_id = published(stack, "fb", "Urban 3", "L'Urban 3 est arrivé en boutique !")
            meta.stories.update(p["id"] for p in graph.posts)

            with sync_playwright() as p:
                browser = launch(p)
                context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
                page = context.new_page()
                sign_in(page, base, home, "camille@cyclia.example")
                page.goto(base + f"/posts/{post_id}")
                form = page.locator("form[data-boost-form=fb]")
                expect(form).to_contain_text("plafond 100,00")
                accessible(page, "post-boost-form")
                shot(page, "post-boost-form")
                form.get_by_label("Budget total (EUR)").fill("149")  # above the cap: refused
                form.get_by_label("Durée (jours)").fill("5")
                asked = time.time() - 1
                form.get_by_role("button", name="Demander l'approbation").click()
                expect(page.get_by_role("status")).to_contain_text("dépasse le plafond")
                assert meta.count("campaign") == 0
                form = page.locator("form[data-boost-form=fb]")
                form.get_by_label("Budget total (EUR)").fill("49,90")
                form.get_by_label("Durée (jours)").fill("5")
                form.get_by_role("button", name="Demander l'approbation").click()
                expect(page.get_by_role("status")).to_contain_text("Boost demandé")
                expect(page.locator(".boost .badge")).to_have_text("en attente d'approbation")

                link = outbox_link(
                    home, "alex@cyclia.example", r"http://127\.0\.0\.1:\d+/b/[\w-]+", asked
                )
                alex = browser.new_page(locale="fr-FR", viewport=PHONE)
                alex.goto(link)
                expect(alex.locator("#budget")).to_contain_text("49,90")
                fits(alex, "boost-approval")
                accessible(alex, "boost-approval")
                shot(alex, "boost-approval")
                assert meta.count("campaign") == 0  # opening the page decides nothing
                alex.get_by_role("button", name=re.compile(r"Approuver 49,90")).click()
                expect(alex.locator("#message")).to_contain_text("le boost tourne")
                assert meta.count("campaign") == 1 and len(meta.running()) == 1
                adset = next(o for o in meta.objects.values() if o["kind"] == "adset")
                assert adset["lifetime_budget"] == "4990"

                page.reload()
                expect(page.locator(".boost .badge")).to_have_text("en cours")
                expect(page.locator("[data-boost-figures]")).to_contain_text("lus chaque jour")
                expect(page.locator("form[data-boost-form=fb]")).to_have_count(0)
                accessible(page, "post-boost")
                shot(page, "post-boost")
                on_phone(browser, context, base, {"post-boost-phone": f"/posts/{post_id}"})
                browser.close()
    finally:
        graph.close()
        meta.close()


@pytest.mark.slow
def test_a_contest_from_its_page_to_a_draw_anyone_can_check(
    stack: dict[str, Any],  # noqa: F811
) -> None:
    """Declared from a file, entries read from Mastodon replies, counted live, drawn in the
    studio; its public page (on a phone) shows the commitment from the start, then the seed,
    and an entrant finds their own result; the published draw.json reruns to the same winners."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import requests
    from playwright.sync_api import expect, sync_playwright

    from tests.integration.test_contests import dev_user, reply
    from tests.unit.test_contests import rerun

    chromium()
    axe_script()
    base, home, api, tmp = stack["info"]["url"], stack["home"], stack["api"], stack["tmp"]
    post_id = published(stack, "masto", "Concours Urban 3", "Concours ! Répondez avec #Urban3")
    (status,) = alice_statuses(api)

    def paris_now() -> datetime:  # the brand's zone, as the contest file is written
        return datetime.now(ZoneInfo("Europe/Paris")).replace(tzinfo=None, microsecond=0)

    paris = paris_now()
    ends = paris + timedelta(seconds=12)
    spec = tmp / "contest.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "title": "Gagnez un Urban 3",
                "posts": [post_id],
                "starts": paris.isoformat(timespec="seconds"),
                "ends": ends.isoformat(timespec="seconds"),
                "late_minutes": 0,
                "entry": {"hashtag": "#Urban3"},
                "winners": 1,
                "substitutes": 1,
                "rules_url": "https://cyclia.example/reglement",
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    made = cli(home, "contest", "create", str(spec), "--json")
    assert made.returncode == 0, made.stderr
    contest_id = json.loads(made.stdout)["contest_id"]
    commitment = json.loads(made.stdout)["commitment"]
    reply(api, "bob_token", status["id"], "Je participe ! #Urban3")
    reply(api, dev_user(api, "eve"), status["id"], "Moi aussi #urban3")
    reply(api, "carol_token", status["id"], "#Urban3 (carol parle pour la marque)")
    reply(api, dev_user(api, "dora"), status["id"], "Sans le hashtag")

    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
        page = context.new_page()
        sign_in(page, base, home, "camille@cyclia.example")
        page.get_by_role("link", name="Concours", exact=True).click()
        expect(page.locator(f"[data-contest='{contest_id}']")).to_contain_text("en cours")
        accessible(page, "contests")
        page.goto(base + f"/contests/{contest_id}")
        page.get_by_role("button", name="Lire les participations maintenant").click()
        expect(page.get_by_role("status")).to_contain_text("Participations lues")
        expect(page.locator("[data-live]")).to_contain_text("2 participations valables")
        excluded = page.locator("tr[data-entry=excluded]")
        expect(excluded.filter(has_text="@dora")).to_contain_text("sans #urban3")
        expect(excluded.filter(has_text="@carol")).to_contain_text("compte de l'équipe")
        accessible(page, "contest")
        shot(page, "contest")

        public = browser.new_context(viewport=PHONE, locale="fr-FR").new_page()
        public.goto(base + f"/c/{contest_id}")
        expect(public.locator("[data-commitment]")).to_have_text(commitment)
        fits(public, "contest-public")
        accessible(public, "contest-public")

        while paris_now() <= ends:  # the end passes (late_minutes: 0)
            time.sleep(0.5)
        page.get_by_role("button", name="Lire les participations maintenant").click()
        page.get_by_role("button", name="Tirer au sort").click()
        expect(page.get_by_role("status")).to_contain_text("Tirage fait")
        winner = page.locator("[data-winner]").first.inner_text().split()[0]
        assert winner in ("@bob", "@eve")
        accessible(page, "contest-drawn")
        shot(page, "contest-drawn")

        drawn = requests.get(base + f"/c/{contest_id}/draw.json", timeout=10).json()
        assert drawn["commitment"] == commitment and len(drawn["eligible"]) == 2
        assert rerun(tmp, drawn)["winners"] == drawn["winners"]

        public.goto(base + f"/c/{contest_id}")
        expect(public.locator("[data-seed]")).to_have_text(drawn["seed"])
        public.get_by_label("Mon identifiant").fill(winner)
        public.get_by_role("button", name="Calculer mon pseudonyme").click()
        expect(public.get_by_role("status")).to_contain_text("Vous avez gagné")
        fits(public, "contest-public-drawn")
        accessible(public, "contest-public-drawn")
        shot(public, "contest-public-drawn")

        page.get_by_role("button", name="Préparer l'annonce des gagnants").click()
        expect(page).to_have_url(re.compile(r"/posts/[\w-]+$"))
        expect(page.locator("[data-network-status=masto] .text")).to_contain_text(winner)

        # The form: a contest that ends before it starts is refused, what was typed stays.
        page.goto(base + "/contests")
        page.get_by_label("Titre").fill("Quiz de Noël")
        page.get_by_label(re.compile("Concours Urban 3")).check()
        page.get_by_label("Fin").fill("2020-01-01T10:00")
        page.get_by_label("Adresse du règlement").fill("https://cyclia.example/quiz")
        page.get_by_role("button", name="Créer et publier l'engagement").click()
        expect(page.get_by_role("alert")).to_contain_text("ends: must be after starts")
        expect(page.get_by_label("Titre")).to_have_value("Quiz de Noël")
        accessible(page, "contest-form-error")
        page.get_by_label("Fin").fill((paris + timedelta(days=7)).isoformat(timespec="minutes"))
        page.get_by_role("button", name="Créer et publier l'engagement").click()
        expect(page.get_by_role("status")).to_contain_text("Concours créé")
        on_phone(browser, context, base, {"contests-phone": "/contests"})
        browser.close()


@pytest.mark.slow
def test_a_reader_subscribes_the_team_sends_an_issue_and_the_reader_leaves_in_one_click(
    tmp_path: Path, api: str
) -> None:
    """The public sign-up on a phone, the confirmation from the email, the issue written and
    sent for approval in the studio, approved from its email, sent by the local sender, and
    the unsubscribe link of the email it lands in."""
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.test_local_serve import serve

    chromium()
    axe_script()
    letter = {"enabled": True, "rate_per_second": 20, "postal_address": "1 rue du Vélo, Lyon"}
    with serve(tmp_path, api, sections={"newsletter": letter}) as running:
        base, home = running["info"]["url"], running["home"]
        with sync_playwright() as p:
            browser = launch(p)
            reader = browser.new_context(viewport=PHONE, locale="fr-FR").new_page()
            reader.goto(base + "/n")
            accessible(reader, "newsletter-signup")
            fits(reader, "newsletter-signup")
            asked = time.time() - 1
            reader.get_by_label("Votre adresse e-mail").fill("lea@example.org")
            reader.get_by_role("button", name="M'inscrire").click()
            expect(reader.get_by_role("status")).to_contain_text("email de confirmation")
            shot(reader, "newsletter-signup")
            reader.goto(
                outbox_link(home, "lea@example.org", r"http://127\.0\.0\.1:\d+/n/c/[\w-]+", asked)
            )
            accessible(reader, "newsletter-confirm")
            reader.get_by_role("button", name="Oui, je confirme").click()
            expect(reader.get_by_role("status")).to_contain_text("vous recevrez le prochain numéro")

            context = browser.new_context(viewport=LAPTOP, locale="fr-FR")
            page = context.new_page()
            sign_in(page, base, home, "camille@cyclia.example")
            page.get_by_role("link", name="Lettre").click()
            expect(page.locator("[data-subscribers]")).to_contain_text("1 abonné confirmé")
            page.get_by_label("Éditorial (français)").fill("Bonjour ! Voici nos nouvelles du mois.")
            page.get_by_label("Éditorial (English)").fill("Hello! Our news of the month.")
            accessible(page, "newsletter-editor")
            shot(page, "newsletter-editor")
            asked = time.time() - 1
            page.get_by_role("button", name="Envoyer en validation").click()
            expect(page.get_by_role("status")).to_contain_text("Envoyé aux approbateurs")
            on_phone(browser, context, base, {"newsletter-editor-phone": "/newsletter"})

            approver = browser.new_page(locale="fr-FR", viewport=PHONE)
            approver.goto(
                outbox_link(
                    home, "alex@cyclia.example", r"http://127\.0\.0\.1:\d+/n/a/[\w-]+", asked
                )
            )
            expect(approver.locator("#issue")).to_contain_text("Voici nos nouvelles du mois")
            fits(approver, "newsletter-approval")
            accessible(approver, "newsletter-approval")
            approver.get_by_role(
                "button", name=re.compile("Approuver et envoyer à 1 abonné")
            ).click()
            expect(approver.locator("#message")).to_contain_text("Approuvé")

            # The local sender sends it; the reader's email carries its one-click address.
            unsubscribe = outbox_link(
                home, "lea@example.org", r"http://127\.0\.0\.1:\d+/n/u/[\w-]+", asked
            )
            sent = sorted((home / "outbox").glob("*-newsletter.eml"))
            mail = message_from_bytes(sent[-1].read_bytes(), policy=policy.default)
            assert mail["List-Unsubscribe"] == f"<{unsubscribe}>"
            assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            reader.goto(unsubscribe)
            accessible(reader, "newsletter-unsubscribe")
            reader.get_by_role("button", name="Me désabonner").click()
            expect(reader.get_by_role("status")).to_contain_text("Vous êtes désabonné")
            shot(reader, "newsletter-unsubscribed")

            page.reload()
            expect(page.locator("[data-subscribers]")).to_contain_text("0 abonné confirmé")
            browser.close()
