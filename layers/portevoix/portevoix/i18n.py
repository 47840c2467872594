"""Every message a person reads, in French and English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "digest.subject": {
        "fr": "[{brand}] Veille du {date} : {items} nouveauté(s), {mentions} mention(s)",
        "en": "[{brand}] Monitoring digest, {date}: {items} new item(s), {mentions} mention(s)",
    },
    "digest.title": {"fr": "Votre veille du matin", "en": "Your morning digest"},
    "digest.intro": {
        "fr": "Ce qui est paru entre le {start} et le {end} ({tz}).",
        "en": "What was published between {start} and {end} ({tz}).",
    },
    "digest.mentions": {"fr": "Mentions de {brand}", "en": "Mentions of {brand}"},
    "digest.mentions_hint": {
        "fr": "À lire en premier : on parle de vous.",
        "en": "Read these first: people are talking about you.",
    },
    "digest.topic": {"fr": "Thème : {name}", "en": "Topic: {name}"},
    "digest.competitor": {"fr": "Concurrent : {name}", "en": "Competitor: {name}"},
    "digest.other": {"fr": "Autres nouveautés", "en": "Other new items"},
    "digest.more": {"fr": "… et {count} de plus.", "en": "… and {count} more."},
    "digest.nothing": {
        "fr": "Rien de nouveau dans vos sources ces dernières 24 heures.",
        "en": "Nothing new in your sources in the last 24 hours.",
    },
    "digest.keywords": {"fr": "Mots-clés", "en": "Keywords"},
    "digest.source": {"fr": "Source", "en": "Source"},
    "digest.untitled": {"fr": "(sans titre)", "en": "(untitled)"},
    "digest.undated": {"fr": "date inconnue", "en": "undated"},
    "digest.feeds_trouble": {
        "fr": "Sources en difficulté",
        "en": "Sources in trouble",
    },
    "digest.feed_failures": {
        "fr": "{count} échec(s) de suite, prochain essai {retry} : {error}",
        "en": "{count} failure(s) in a row, next try {retry}: {error}",
    },
    "digest.footer": {
        "fr": "Envoyé par Porte-voix, votre veille auto-hébergée. {feeds} source(s) suivie(s).",
        "en": "Sent by Porte-voix, your self-hosted monitoring. {feeds} source(s) watched.",
    },
}

MESSAGES.update(
    {
        "accounts.subject": {
            "fr": "[{brand}] {count} compte(s) à reconnecter",
            "en": "[{brand}] {count} account(s) to reconnect",
        },
        "accounts.title": {"fr": "Comptes à reconnecter", "en": "Accounts to reconnect"},
        "accounts.intro": {
            "fr": "Vérification du {when} : ces comptes ne pourront bientôt plus publier ni lire les mentions.",
            "en": "Check of {when}: these accounts will soon be unable to publish or read mentions.",
        },
        "accounts.failed": {"fr": "Refusé", "en": "Refused"},
        "accounts.expiring": {"fr": "Expire bientôt", "en": "Expiring soon"},
        "accounts.howto": {
            "fr": "Générez un nouveau jeton sur le réseau, mettez-le dans le secret indiqué dans la "
            "configuration, puis lancez « portevoix accounts check ».",
            "en": "Create a new token on the network, store it in the secret named in the "
            "configuration, then run `portevoix accounts check`.",
        },
    }
)

_MONTHS = {
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def t(lang: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``lang`` (French when the language is unknown)."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["fr"]
    return text.format(**values) if values else text


def format_date(dt: datetime, lang: str, *, with_time: bool = True) -> str:
    """A date as a person of that language writes it (the zone is the caller's)."""
    month = _MONTHS.get(lang, _MONTHS["fr"])[dt.month - 1]
    if lang == "en":
        day = f"{dt.day} {month} {dt.year}"
        return f"{day}, {dt:%H:%M}" if with_time else day
    day = f"{dt.day} {month} {dt.year}"
    return f"{day} à {dt:%H:%M}" if with_time else day
