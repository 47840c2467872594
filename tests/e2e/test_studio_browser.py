"""The studio as a person uses it, in real Chromium, on a laptop and on a phone.

Sign in from the emailed link, write a post for two accounts, see the charter
block the X variant live, send it for approval, approve it from the email, and
find it published on the calendar with its link. Every page passes axe-core
(no serious or critical violation); screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import re
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_local_serve import (  # noqa: F401 - the stack fixture
    chromium,
    cli,
    launch,
    stack,
    wait_status,
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
        phone = browser.new_context(
            viewport=PHONE, locale="fr-FR", storage_state=context.storage_state()
        )
        small = phone.new_page()
        for name, path in (
            ("calendar-phone", "/calendar"),
            ("compose-phone", "/compose"),
            ("post-phone", f"/posts/{post_id}"),
        ):
            small.goto(base + path)
            fits(small, name)
            accessible(small, name)
            shot(small, name)

        # A lost phone: `portevoix sessions revoke` ends every session of the member.
        config = str(stack["tmp"] / "brand.yaml")
        revoked = cli(home, "sessions", "revoke", "camille@cyclia.example", "--config", config)
        assert revoked.returncode == 0 and "1 studio session(s)" in revoked.stdout, revoked.stderr
        small.goto(base + "/calendar")
        expect(small).to_have_url(re.compile(r"/signin\?next=%2Fcalendar$"))
        browser.close()
