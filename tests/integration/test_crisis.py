"""Crisis: a surge of negative mentions over the rolling baseline alerts the team once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import store
from portevoix.inbox import crisis, filing
from portevoix.publishing import workflow
from tests.helpers import make_config
from tests.integration.test_digest import sent_messages

NOW = datetime(2026, 11, 28, 15, 20, tzinfo=UTC)


def week(counts_for_hour: Any) -> None:
    """Seed the 168 hours before NOW with the given hourly counts."""
    start = NOW.replace(minute=0) - timedelta(hours=168)
    for i in range(168):
        for _ in range(counts_for_hour(i)):
            crisis.count_negative(start + timedelta(hours=i, minutes=5))


def complaint(i: int, when: datetime) -> dict[str, Any]:
    record = {
        "PK": f"MENTION#mastodon#burst-{i}",
        "SK": "MENTION",
        "GSI1PK": "INBOX#new",
        "GSI1SK": f"{when.strftime('%Y-%m-%dT%H:%M:%SZ')}#{i}",
        "type": "mention",
        "source": "mastodon",
        "status": "new",
        "author_handle": f"@user{i}",
        "title": None,
        "text": f"Batterie en panne encore une fois, très déçu, je veux un remboursement ({i})",
        "received_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    store.batch_put([record])
    return record


def test_quiet_week_then_a_burst_alerts_exactly_once(aws: Any, monkeypatch: Any) -> None:
    import yaml

    config = make_config(inbox={"own_accounts": ["@portevoix"]})
    monkeypatch.setenv(
        "CONFIG_PARAMETER", "/portevoix/config"
    )  # the link's page runs the real function
    aws.client("ssm").put_parameter(
        Name="/portevoix/config",
        Value=yaml.safe_dump(config.model_dump(mode="json")),
        Type="String",
        Tier="Advanced",
    )
    week(lambda i: i % 3)  # 0, 1 or 2 negative mentions an hour
    own = complaint(99, NOW)  # the brand's own post, in negative words: never counted nor listed
    own.update(author_handle="@portevoix", text="Panne de batterie : nous sommes désolés, vraiment")
    store.batch_put([own])
    filing.handle_new(config, own, NOW)
    for i in range(15):
        filing.handle_new(
            config, complaint(i, NOW + timedelta(seconds=i)), NOW + timedelta(seconds=i)
        )
    for i in range(15, 22):  # the burst goes on into the next hour
        later = NOW + timedelta(minutes=50 + i)
        filing.handle_new(config, complaint(i, later), later)
    crisis_mails = [
        m
        for m in sent_messages()
        if "messages négatifs" in m["Subject"] or "negative messages" in m["Subject"]
    ]
    assert len(crisis_mails) == 2  # one alert, in each language of the team
    fr = next(m for m in crisis_mails if m["To"] == "camille@brand.example")
    body = fr.get_body(preferencelist=("plain",)).get_content()
    assert "10 messages négatifs cette heure-ci" in body and "retenue jusqu'à la levée" in body
    assert "je veux un remboursement" in body
    assert "nous sommes désolés" not in body and "@portevoix" not in body
    # The alert's link freezes scheduled posts, and lifts the freeze.
    import re

    from tests.integration.test_actions import page

    link = re.search(r"/m/([\w-]+)", body).group(1)
    shown = page("GET", link)
    assert "Les publications partent à leur heure" in shown["text"]
    token = re.search(r'name="form_token" value="([^"]+)"', shown["body"]).group(1)
    frozen = page("POST", link, {"form_token": token, "action": "freeze"})
    assert "Les publications sont gelées" in frozen["text"]
    assert store.get("FREEZE", "STATE")["frozen"] is True
    assert page("POST", link, {"form_token": "guess", "action": "lift"})["statusCode"] == 403
    page("POST", link, {"form_token": token, "action": "lift"})
    assert store.get("FREEZE", "STATE")["frozen"] is False


def test_a_normal_busy_day_stays_quiet(aws: Any) -> None:
    config = make_config()
    week(lambda i: 8 + i % 7)  # 8 to 14 an hour, every hour
    for i in range(14):
        filing.handle_new(
            config, complaint(i, NOW + timedelta(seconds=i)), NOW + timedelta(seconds=i)
        )
    assert crisis.check(config, NOW) is None
    assert not [
        m
        for m in sent_messages()
        if "negative messages" in m["Subject"] or "messages négatifs" in m["Subject"]
    ]


def test_freeze_holds_posts_but_never_the_holding_statement(aws: Any) -> None:
    config = make_config()
    store.batch_put(
        [
            store.with_key(store.post_key("plain"), post_id="plain"),
            store.with_key(store.post_key("statement"), post_id="statement", holding=True),
        ]
    )
    crisis.freeze(True, by="camille")
    assert workflow.check_freeze(config, "plain") == {"frozen": True}
    assert workflow.check_freeze(config, "statement") == {"frozen": False}
    crisis.freeze(False)
    assert workflow.check_freeze(config, "plain") == {"frozen": False}


def test_the_crisis_page_gathers_the_episode(aws: Any, tmp_path: Any, monkeypatch: Any) -> None:
    """A surge opens an episode: its page shows the curve, themes, who handles what, the
    log; the freeze switch and the close are logged with who did them."""
    import html as html_lib

    from portevoix.inbox import assignment, episodes
    from portevoix.web import sessions
    from tests.integration.test_studio import MEMBER, sign_in

    monkeypatch.setenv("PORTEVOIX_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("APPROVAL_BASE_URL", "https://studio.example")
    sessions.forget_key()
    config = make_config(inbox={"own_accounts": ["@portevoix"]})
    week(lambda i: i % 2)
    burst = [complaint(i, NOW + timedelta(seconds=i)) for i in range(12)]
    for i, m in enumerate(burst):
        if i % 3 == 0:  # some speak of a link, not the battery
            m["text"] = f"Votre site https://shop.example/recall plante, lamentable ({i})"
            store.batch_put([m])
        filing.handle_new(config, m, NOW + timedelta(seconds=i))
    episode = episodes.current()
    assert episode and episode["reason"] == "surge" and episode["peak"] >= 10
    assignment.take(store.id_of(burst[1]["PK"]), MEMBER)

    browser = sign_in(config, tmp_path / "outbox")
    assert browser.go("GET", "/crisis").headers["Location"] == f"/crisis/{episode['episode_id']}"
    page = browser.go("GET", f"/crisis/{episode['episode_id']}")
    text = html_lib.unescape(str(page.body))
    assert page.status == 200 and "Salle de crise" in text
    assert "« batterie · déçu · panne »</strong> · 8 messages" in text
    assert "« lamentable · plante · site »</strong> · 4 messages" in text
    assert "shop.example (4)" in text and "mastodon : 12" in text
    assert MEMBER in text and "Personne encore" in text  # who handles what
    assert text.count("<rect") >= 24 and 'class="over"' in text  # the curve, the surge over it
    assert "Pic : 10 messages négatifs en une heure" in text

    csrf, here = browser.field(page, "csrf"), f"/crisis/{episode['episode_id']}"

    def act(action: str) -> str:
        """POST, then follow the redirect as a browser does (a reload never acts twice)."""
        answer = browser.go("POST", f"{here}/{action}", {"csrf": csrf})
        assert answer.status == 303 and answer.headers["Location"].startswith(f"{here}?done=")
        return html_lib.unescape(str(browser.go("GET", answer.headers["Location"]).body))

    assert "Gel activé" in act("freeze") and crisis.frozen()["by"] == MEMBER
    assert "Retenues et envoyées maintenant : 0" in act("lift")
    text = act("close")
    assert "L'épisode est clos." in text
    log = [a["action"] for a in episodes.actions(episode["episode_id"])]
    assert log == ["surge", "freeze", "lift", "close"]
    assert f"{MEMBER}</span> A gelé les publications" in text
    assert episodes.current() is None and browser.go("GET", "/crisis").status == 200
    again = browser.go("POST", f"/crisis/{episode['episode_id']}/close", {"csrf": csrf})
    assert again.status == 409  # closed once


def test_an_episode_closes_itself_after_quiet_hours(aws: Any) -> None:
    from portevoix.inbox import episodes

    config = make_config()
    week(lambda i: 0)
    for i in range(12):
        filing.handle_new(config, complaint(i, NOW), NOW)
    episode = episodes.current()
    assert episode is not None
    assert episodes.close_if_quiet(config, NOW + timedelta(hours=3)) is None  # too soon
    crisis.freeze(True, by="alex", now=NOW + timedelta(hours=4))
    assert episodes.close_if_quiet(config, NOW + timedelta(hours=9)) is None  # still frozen
    crisis.freeze(False, by="alex", now=NOW + timedelta(hours=9))
    closed = episodes.close_if_quiet(config, NOW + timedelta(hours=9))
    assert closed and closed["closed_by"] == "system" and episodes.current() is None


def test_the_episode_report_on_close_in_the_crisis_room_and_the_weekly_report(
    aws: Any, monkeypatch: Any
) -> None:
    """Closing sends the team its report (duration, volume, peak, sentiment before and during,
    replies, held posts); the weekly report lists the episode and attaches its CSV."""
    import csv
    import io

    from portevoix.inbox import aftermath, episodes
    from portevoix.reporting import report
    from portevoix.reporting.week import Week

    monkeypatch.setenv("APPROVAL_BASE_URL", "https://studio.example")
    config = make_config()
    week(lambda i: 0)
    calm = complaint(90, NOW - timedelta(minutes=30))  # before: one happy message
    calm.update(sentiment="positive", text="Super vélo, merci")
    store.batch_put([calm])
    for i in range(12):
        filing.handle_new(config, complaint(i, NOW), NOW)
    episode = episodes.current()
    store.update(
        f"MENTION#mastodon#burst-{0}", "MENTION", {"response_seconds": 600, "status": "replied"}
    )
    episodes.log(episode["episode_id"], "system", "held", post="p1", title="Promo Urban 3")
    episodes.log(episode["episode_id"], "camille", "cancel", post="p1", title="Promo Urban 3")
    closed = episodes.close(config, episode["episode_id"], "camille", now=NOW + timedelta(hours=2))

    mails = [m for m in sent_messages() if "Crise close" in m["Subject"]]
    assert len(mails) == 1 and "2 h 20" in mails[0]["Subject"]  # from the alert hour, 15:00
    body = mails[0].get_body(preferencelist=("plain",)).get_content()
    for expected in (
        "Bilan de l'épisode",
        "12, dont 12 négatifs",
        "Avant (2 h): 1 positifs · 0 neutres · 0 négatifs",
        "Pendant: 0 positifs · 0 neutres · 12 négatifs",
        "à venir : les 2 h qui suivent la clôture",
        "1 réponses, médiane 10 min",
        "Promo Urban 3 (annulée)",
        "https://studio.example/crisis/" + closed["episode_id"],
    ):
        assert expected in body, expected

    later = aftermath.build(closed, NOW + timedelta(hours=5))  # the "after" window is over
    assert later["sentiment"]["after"] == {"positive": 0, "neutral": 0, "negative": 0}
    rows = list(csv.reader(io.StringIO(aftermath.to_csv(later).decode("utf-8-sig"))))
    assert rows[0] == ["section", "item", "value"]
    assert ["volume", "peak_per_hour", "12"] in rows and ["held", "p1", "cancel"] in rows
    assert ["response", "median_minutes", "10.0"] in rows

    built = report.build(config, Week.containing(NOW, config.tz))
    rendered = report.render(config, built, "fr")
    names = [name for name, _, _ in rendered.attachments]
    assert aftermath.csv_name(config, closed) in names
    assert "Du 28 nov. 2026" in rendered.text and "pic de 12 par heure" in rendered.text
