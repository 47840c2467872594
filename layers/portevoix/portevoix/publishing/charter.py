"""Editorial charter checks: each variant against its network's rules.

Every finding is an ``error`` (the post cannot go out) or a ``warning``
(shown to the approver), with its message in French and English. Length,
media and hashtag limits use the network's own counting.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from portevoix.core.text import compile_terms, fold
from portevoix.networks import network_class

DEFAULT_LEVELS = {
    "length": "error",
    "banned_words": "error",
    "required": "error",
    "links": "error",
    "media": "error",
    "poll": "error",  # what the network would refuse
    "hashtags": "warning",
    "mentions": "warning",
    "days": "warning",
    "hours": "warning",
    "spacing": "warning",
    "cadence": "warning",
}
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<![\w#])#\w+")
_MENTION = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+)?")


@dataclass
class Finding:
    network: str
    rule: str
    level: str  # error | warning
    fr: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def limits_for(network: str, config: Any) -> Any:
    cls = network_class(network)
    limits = cls.limits
    for account in config.accounts:
        if account.network == network and getattr(account, "max_chars", None):
            limits = type(limits)(**{**limits.__dict__, "max_chars": account.max_chars})
    return limits


def check(
    config: Any,
    network: str,
    variant: Any,
    *,
    when: datetime | None = None,
    recent: list[datetime] | None = None,
    week_count: int = 0,
) -> list[Finding]:
    """Findings for one variant; ``when`` is the publication time (aware)."""
    rules = config.charter.for_network(network)
    levels = {**DEFAULT_LEVELS, **rules.levels}
    out: list[Finding] = []

    def add(rule: str, fr: str, en: str) -> None:
        out.append(Finding(network, rule, levels[rule], fr, en))

    limits = limits_for(network, config)
    text = (
        variant.text
        if not variant.link or variant.link in variant.text
        else f"{variant.text} {variant.link}"
    )
    length = limits.count(text)
    maximum = min(limits.max_chars, rules.max_length) if rules.max_length else limits.max_chars
    if maximum and length > maximum:
        add(
            "length",
            f"{length} caractères, le maximum est {maximum} (décompte de {network})",
            f"{length} characters, the maximum is {maximum} (as {network} counts)",
        )
    if not text.strip():
        add("length", "le texte est vide", "the text is empty")

    folded = fold(text)
    if rules.banned_words:
        pattern = compile_terms(rules.banned_words)
        found = sorted({m.group(0) for m in pattern.finditer(folded)}) if pattern else []
        if found:
            add(
                "banned_words",
                f"mots interdits : {', '.join(found)}",
                f"banned words: {', '.join(found)}",
            )
    for needed in rules.required or []:
        if fold(needed) not in folded:
            add("required", f"il manque « {needed} »", f"“{needed}” is missing")
    if rules.links is False and (_URL.search(text) or variant.link):
        add(
            "links",
            "les liens ne sont pas autorisés sur ce réseau",
            "links are not allowed on this network",
        )

    hashtags = len(_HASHTAG.findall(text))
    max_tags = rules.max_hashtags if rules.max_hashtags is not None else limits.max_hashtags
    if max_tags is not None and hashtags > max_tags:
        add(
            "hashtags",
            f"{hashtags} hashtags, la charte en permet {max_tags}",
            f"{hashtags} hashtags, the charter allows {max_tags}",
        )
    mentions = len(_MENTION.findall(_URL.sub("", text)))
    if rules.max_mentions is not None and mentions > rules.max_mentions:
        add(
            "mentions",
            f"{mentions} mentions, la charte en permet {rules.max_mentions}",
            f"{mentions} mentions, the charter allows {rules.max_mentions}",
        )

    for problem in _media_problems(limits, variant):
        add("media", problem[0], problem[1])
    for problem in _poll_problems(limits, variant):
        add("poll", problem[0], problem[1])

    if when is not None:
        local = when.astimezone(config.tz)
        day = _DAY_NAMES[local.weekday()]
        if rules.days and day not in rules.days:
            add(
                "days",
                f"publication un {_DAYS_FR[local.weekday()]}, hors des jours de la charte",
                f"published on a {_DAYS_EN[local.weekday()]}, outside the charter's days",
            )
        if rules.hours:
            start, end = rules.hours.split("-")
            hhmm = local.strftime("%H:%M")
            if not (start <= hhmm < end if end != "24:00" else start <= hhmm):
                add(
                    "hours",
                    f"publication à {hhmm}, hors des heures de la charte ({rules.hours})",
                    f"published at {hhmm}, outside the charter's hours ({rules.hours})",
                )
        if rules.min_spacing_minutes and recent:
            gap = min(abs((when - r).total_seconds()) for r in recent) / 60
            if gap < rules.min_spacing_minutes:
                add(
                    "spacing",
                    f"{gap:.0f} min après une autre publication, la charte demande {rules.min_spacing_minutes} min",
                    f"{gap:.0f} min from another post, the charter asks for {rules.min_spacing_minutes} min",
                )
        if rules.weekly_target is not None and week_count + 1 > rules.weekly_target:
            add(
                "cadence",
                f"{week_count + 1}e publication de la semaine, l'objectif est {rules.weekly_target}",
                f"post number {week_count + 1} this week, the target is {rules.weekly_target}",
            )
    return out


def _poll_problems(limits: Any, variant: Any) -> list[tuple[str, str]]:
    """A poll as the network takes it: options, their length, its duration, no media."""
    poll = getattr(variant, "poll", None)
    if poll is None:
        return []
    rules = limits.polls
    if rules is None:
        return [("ce réseau n'a pas de sondage", "this network has no polls")]
    out = []
    if not 2 <= len(poll.options) <= rules.max_options:
        out.append(
            (
                f"{len(poll.options)} choix : il en faut 2 à {rules.max_options}",
                f"{len(poll.options)} choices: 2 to {rules.max_options} are needed",
            )
        )
    for option in poll.options:
        if not option.strip() or len(option) > rules.option_chars:
            out.append(
                (
                    f"le choix « {option} » doit faire 1 à {rules.option_chars} caractères",
                    f"the choice “{option}” must be 1 to {rules.option_chars} characters",
                )
            )
    if len({o.strip().casefold() for o in poll.options}) < len(poll.options):
        out.append(("deux choix sont identiques", "two choices are the same"))
    if rules.durations and poll.minutes not in rules.durations:
        days = ", ".join(str(d // 1440) for d in rules.durations)
        out.append(
            (
                f"durée de {poll.minutes} min : ce réseau propose {days} jours",
                f"a {poll.minutes} min duration: this network offers {days} days",
            )
        )
    elif not rules.min_minutes <= poll.minutes <= rules.max_minutes:
        out.append(
            (
                f"durée de {poll.minutes} min : entre {rules.min_minutes} et {rules.max_minutes} min",
                f"a {poll.minutes} min duration: between {rules.min_minutes} and {rules.max_minutes} min",
            )
        )
    if rules.question_chars and len(poll.question or "") > rules.question_chars:
        out.append(
            (
                f"la question dépasse {rules.question_chars} caractères",
                f"the question is over {rules.question_chars} characters",
            )
        )
    if variant.media:
        out.append(("un sondage ne peut pas avoir de média", "a poll cannot come with media"))
    return out


def _media_problems(limits: Any, variant: Any) -> list[tuple[str, str]]:
    out = []
    if len(variant.media) > limits.max_media:
        out.append(
            (
                f"{len(variant.media)} médias, le réseau en accepte {limits.max_media}",
                f"{len(variant.media)} media, the network takes {limits.max_media}",
            )
        )
    if limits.media_required and not variant.media:
        out.append(
            (
                "ce réseau demande au moins une image ou une vidéo",
                "this network needs at least one image or video",
            )
        )
    for m in variant.media:
        if m.mime not in limits.media_types:
            out.append(
                (f"le format {m.mime} n'est pas accepté", f"the {m.mime} format is not accepted")
            )
        if limits.media_by_url and not m.url:
            out.append(
                (
                    "ce réseau prend les médias par URL publique",
                    "this network takes media by public URL",
                )
            )
    return out


def week_start(when: datetime, tz: Any) -> datetime:
    local = when.astimezone(tz)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday
