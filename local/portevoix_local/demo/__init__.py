"""Sample feeds and configuration for ``portevoix demo`` (no internet needed).

A fictional French e-bike maker, Cyclia, watched across a French news feed
(RSS 2.0), an English blog (Atom), a forum (JSON Feed) and one source that
is down on purpose, to show that one bad feed never stops the others.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

NEWS_FR = [
    (
        "Cyclia rappelle 2 000 batteries de vélo électrique",
        3,
        "<p>Le fabricant lyonnais <b>Cyclia</b> rappelle des batteries après des cas de surchauffe. "
        "Les clients sont invités à contacter le SAV.</p>",
        "https://news.example/cyclia-rappel?utm_source=rss",
    ),
    (
        "Vélonova lève 40 millions pour son usine de Douai",
        6,
        "<p>Le concurrent direct des marques françaises accélère sur le vélo électrique.</p>",
        "https://news.example/velonova-levee",
    ),
    (
        "Mobilité urbaine : les pistes cyclables progressent à Lyon",
        9,
        "<p>La métropole ajoute 40 km de voies réservées. Un réseau plus sûr pour les VAE.</p>",
        "https://news.example/pistes-lyon",
    ),
    (
        "Le marché du VAE ralentit en 2026",
        20,
        "<p>Après trois années record, les ventes de vélos à assistance électrique se tassent.</p>"
        "<script>alert('ce script ne doit jamais s’exécuter')</script>",
        "https://news.example/marche-vae",
    ),
]

BLOG_EN = [
    (
        "Hands-on: the CYCLIA Urban 3 e-bike",
        5,
        '<p>We rode the <a href="https://cyclia.example">Cyclia</a> Urban 3 for two weeks. '
        "The battery lasts, the lights are <em>great</em>.</p>"
        '<img src="x" onerror="alert(1)">',
        "https://blog.example/urban-3-review#comments",
    ),
    (
        "RoueLibre opens its first London store",
        11,
        "<p>The French brand bets on British commuters.</p>",
        "https://blog.example/rouelibre-london",
    ),
    (
        "Five tips for safer night riding",
        15,
        '<p>Lights, reflective gear and a good helmet: <a href="javascript:alert(1)">safety</a> first.</p>',
        "https://blog.example/night-riding",
    ),
]

FORUM_JSON = [
    (
        "Quelqu'un a eu un souci de frein avec #cyclia ?",
        2,
        "Mon frein arrière grince depuis la mise à jour, le SAV @cyclia ne répond pas.",
        "https://forum.example/t/1201",
    ),
    (
        "Comparatif Vélonova vs RoueLibre pour 30 km par jour",
        14,
        "Je cherche un vélo électrique pour aller au travail, des avis ?",
        "https://forum.example/t/1188",
    ),
]


def _rfc822(dt: datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(dt, usegmt=True)


def rss(now: datetime) -> bytes:
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f'<guid isPermaLink="true">{escape(link)}</guid>'
        f"<pubDate>{_rfc822(now - timedelta(hours=h))}</pubDate>"
        f"<description>{escape(html)}</description></item>"
        for title, h, html, link in NEWS_FR
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Le Journal du Vélo</title><link>https://news.example/</link>"
        f"<language>fr</language>{items}</channel></rss>"
    ).encode()


def atom(now: datetime) -> bytes:
    entries = "".join(
        f"<entry><title>{escape(title)}</title><link href={quoteattr(link)}/>"
        f"<id>{escape(link)}</id><updated>{(now - timedelta(hours=h)).strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>"
        f"<author><name>Sam Rider</name></author>"
        f'<summary type="html">{escape(html)}</summary></entry>'
        for title, h, html, link in BLOG_EN
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Urban Cycling Blog</title><id>https://blog.example/</id>"
        f"<updated>{now.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>{entries}</feed>"
    ).encode()


def json_feed(now: datetime) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Forum VAE",
            "home_page_url": "https://forum.example/",
            "items": [
                {
                    "id": link,
                    "url": link,
                    "title": title,
                    "content_text": text,
                    "date_published": (now - timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "authors": [{"name": "velotaf69"}],
                }
                for title, h, text, link in FORUM_JSON
            ],
        },
        ensure_ascii=False,
    ).encode()


def routes(now: datetime | None = None) -> dict[str, tuple[bytes, str]]:
    now = now or datetime.now(UTC)
    return {
        "/journal-du-velo.rss": (rss(now), "application/rss+xml; charset=utf-8"),
        "/urban-cycling.atom": (atom(now), "application/atom+xml"),
        "/forum-vae.json": (json_feed(now), "application/feed+json"),
    }


def config_yaml(
    base_url: str, sender: str = "veille@cyclia.example", mastodon: str | None = None
) -> str:
    accounts = (
        f"""
accounts:
  - network: mastodon
    id: mastodon
    instance: {mastodon}
    secret: env:PORTEVOIX_DEMO_MASTODON_TOKEN   # demo only: deployed, use ssm:/portevoix/...
"""
        if mastodon
        else ""
    )
    return f"""\
# Generated by `portevoix demo`: a complete configuration for a fictional brand.
brand:
  name: Cyclia
  aliases: ["@cyclia"]
language: fr
timezone: Europe/Paris
sender: {sender}
team:
  - email: camille@cyclia.example
    name: Camille
    language: fr
  - email: alex@cyclia.example
    name: Alex
    language: en
topics:
  vélo électrique: [vélo électrique, vélos à assistance électrique, VAE, e-bike]
  sécurité: [sécurité, safety, safer, surchauffe, rappel]
  mobilité urbaine: [mobilité urbaine, pistes cyclables, commuters]
competitors:
  - name: Vélonova
  - name: RoueLibre
    aliases: [Roue Libre]
feeds:
  - id: journal-du-velo
    name: Le Journal du Vélo
    url: {base_url}/journal-du-velo.rss
  - id: urban-cycling
    name: Urban Cycling Blog
    url: {base_url}/urban-cycling.atom
  - id: forum-vae
    name: Forum VAE
    url: {base_url}/forum-vae.json
    topics: [communauté]
  - id: source-en-panne
    name: A source that is down (on purpose)
    url: {base_url}/gone.rss
fetch:
  allow_private_networks: true   # the demo's feeds are served on 127.0.0.1
digest:
  hour: 8
inbox:
  vip: ["@journaliste-velo"]
  templates:
    sav:
      intents: [complaint, question, other]
      fr: "Bonjour {{{{ author }}}}, merci de votre message ! Écrivez-nous en privé avec votre numéro de série, on s'en occupe."
      en: "Hi {{{{ author }}}}, thanks for your message! Please DM us your serial number and we'll sort it out."
    merci:
      intents: [praise]
      fr: "Merci {{{{ author }}}}, ravis que le vélo vous plaise !"
      en: "Thank you {{{{ author }}}}, glad you like the bike!"
{accounts}"""
