"""The morning digest as the team receives it: SES (moto) and the outbox."""

from __future__ import annotations

import email
import json
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from portevoix.core.errors import MailError
from portevoix.listening.poller import poll
from portevoix.reporting import digest
from tests.helpers import REGION, make_config, respond, rss
from tests.integration.test_corpus import unsafe

NOW = datetime.now(UTC).replace(microsecond=0)


def sent_messages() -> list[EmailMessage]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    raws = [m.raw_data for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages]
    return [email.message_from_bytes(r.encode("utf-8"), policy=policy.default) for r in raws]


def parts(msg: EmailMessage) -> tuple[str, str]:
    return (
        msg.get_body(preferencelist=("plain",)).get_content(),
        msg.get_body(preferencelist=("html",)).get_content(),
    )


def rss_dated(entries: list[tuple[str, str, datetime]]) -> bytes:
    from email.utils import format_datetime
    from xml.sax.saxutils import escape

    items = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link>"
        f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate></item>"
        for t, link, when in entries
    )
    return f'<rss version="2.0"><channel><title>D</title>{items}</channel></rss>'.encode()


@pytest.fixture
def seeded(aws: Any, feed_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PORTEVOIX_OUTBOX", str(tmp_path / "outbox"))
    feed_server.set(
        "/news.rss",
        rss_dated(
            [
                ("Porte-voix lève des fonds", "https://news.example/pv", NOW - timedelta(hours=2)),
                ("Hootsuite change ses prix", "https://news.example/hs", NOW - timedelta(hours=3)),
                ("Mastodon passe le cap", "https://news.example/md", NOW - timedelta(hours=4)),
                ("La recette du jour", "https://news.example/food", NOW - timedelta(hours=5)),
                (
                    "<script>alert('x')</script> Porte-voix <b>hack</b>",
                    "javascript:alert(1)",
                    NOW - timedelta(hours=1),
                ),
                (
                    "Vieux billet sur Porte-voix",
                    "https://news.example/old",
                    NOW - timedelta(days=10),
                ),
            ]
        ),
    )
    feed_server.set(
        "/forum.json",
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "Forum",
                "items": [
                    {
                        "id": "t1",
                        "title": "<img src=x onerror=alert(1)> {{ config }} Porte-voix",
                        "content_text": "<script>alert(2)</script>",
                        "date_published": NOW.isoformat(),
                    }
                ],
            }
        ).encode(),
        "application/feed+json",
    )
    config = make_config(
        feeds=[
            {"id": "news", "name": "Les Nouvelles", "url": feed_server.url("/news.rss")},
            {"id": "forum", "name": "Forum", "url": feed_server.url("/forum.json")},
        ]
    )
    assert poll(config, NOW).new_items == 7
    return config


def test_digest_in_each_language_with_mentions_on_top(seeded: Any, tmp_path: Path) -> None:
    sent = digest.send(seeded, NOW + timedelta(minutes=5))
    assert {s["lang"]: s["to"] for s in sent} == {
        "fr": ["camille@brand.example"],
        "en": ["alex@brand.example"],
    }
    msgs = {m["To"]: m for m in sent_messages()}
    fr_text, fr_html = parts(msgs["camille@brand.example"])
    en_text, en_html = parts(msgs["alex@brand.example"])
    assert msgs["camille@brand.example"]["Subject"].startswith("[Porte-voix] Veille du")
    assert "6 nouveautés, 3 mentions" in msgs["camille@brand.example"]["Subject"]
    assert "Monitoring digest" in msgs["alex@brand.example"]["Subject"]
    assert "Mentions de Porte-voix" in fr_text and "Mentions of Porte-voix" in en_text
    # Mentions first, then topics, then competitors, then the rest.
    order = [
        fr_text.index(s)
        for s in ("Mentions de", "Thème : réseaux", "Concurrent : Hootsuite", "Autres")
    ]
    assert order == sorted(order)
    mentions_block = fr_text[fr_text.index("Mentions de") : fr_text.index("Thème")]
    assert "Porte-voix lève des fonds" in mentions_block
    assert "La recette du jour" in fr_text[fr_text.index("Autres") :]
    # The old item is stored but is no news.
    assert "Vieux billet" not in fr_text and "Vieux billet" not in fr_html
    # Hostile title: shown as text, never executed, and its javascript: link dropped.
    # RSS titles are HTML: feedparser's sanitiser removes the script outright.
    assert "Porte-voix hack" in fr_text and "alert('x')" not in fr_html
    # JSON Feed titles are text: shown escaped, and no template syntax is evaluated.
    assert "&lt;img src=x onerror=alert(1)&gt; {{ config }} Porte-voix" in fr_html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in fr_html
    assert not unsafe(fr_html) and not unsafe(en_html)
    assert "javascript:" not in fr_html
    # Each item opens the studio's composer with its title and link ("Write a post").
    assert (
        "/compose?title=Porte-voix+l%C3%A8ve+des+fonds&amp;link=https%3A%2F%2Fnews.example%2Fpv"
        in fr_html
    )
    assert "Écrire une publication" in fr_html and "Write a post" in en_html
    # The local outbox has both files.
    outbox = sorted(p.suffix for p in (tmp_path / "outbox").iterdir())
    assert outbox == [".eml", ".eml", ".html", ".html"]


def test_scheduled_digest_is_sent_once_per_day(seeded: Any) -> None:
    end = NOW + timedelta(minutes=5)
    assert len(digest.send(seeded, end, once_per_day=True)) == 2
    assert digest.send(seeded, end + timedelta(minutes=3), once_per_day=True) == []
    assert len(sent_messages()) == 2


def test_failed_send_is_retried_not_lost(seeded: Any, aws: Any) -> None:
    unverified = seeded.model_copy(update={"sender": "nobody@elsewhere.example"})
    with pytest.raises(MailError, match="nobody@elsewhere.example"):
        digest.send(unverified, NOW, once_per_day=True)
    aws.client("ses").verify_email_identity(EmailAddress="nobody@elsewhere.example")
    assert len(digest.send(unverified, NOW, once_per_day=True)) == 2


def test_quiet_day_says_so(aws: Any) -> None:
    sent = digest.send(make_config(), NOW)
    assert len(sent) == 2
    texts = [parts(m)[0] for m in sent_messages()]
    assert any("Rien de nouveau" in t for t in texts)
    assert any("Nothing new" in t for t in texts)


def test_sources_in_trouble_are_listed(aws: Any, chaos: Any) -> None:
    chaos.routes["/down"] = lambda h: respond(h, 500)
    config = make_config(feeds=[{"id": "down", "name": "Source HS", "url": chaos.url("/down")}])
    poll(config, NOW)
    sent = digest.send(config, NOW)
    fr = next(m for m in sent_messages() if m["To"] == "camille@brand.example")
    text, _ = parts(fr)
    assert sent and "Sources en difficulté" in text and "Source HS" in text and "HTTP 500" in text


def test_members_who_opt_out_get_nothing(aws: Any) -> None:
    config = make_config(
        team=[{"email": "a@brand.example", "digest": False}, {"email": "b@brand.example"}]
    )
    sent = digest.send(config, NOW)
    assert [s["to"] for s in sent] == [["b@brand.example"]]


def test_digest_window_is_shown_in_the_brand_time_zone(aws: Any) -> None:
    end = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)  # 08:00 in Paris (summer time)
    rendered = digest.render(make_config(), digest.build(make_config(), end, "en"))
    assert (
        "Jun 30, 2026, 8:00\u202fAM and Jul 1, 2026, 8:00\u202fAM (Europe/Paris)" in rendered.text
    )
    assert rss  # helper kept importable for other modules


def test_mentions_stay_in_the_digest_after_the_inbox_filed_them(seeded: Any) -> None:
    from portevoix.core import store
    from portevoix.inbox import filing

    for m in store.query_gsi1("INBOX#new"):
        filing.triage(seeded, m)
    assert store.query_gsi1("INBOX#new") == []
    sent = digest.send(seeded, NOW + timedelta(minutes=5))
    assert "3 mentions" in sent[0]["subject"]  # the spam-free mentions of the day
