"""Every message a person reads, from gettext catalogs; dates and numbers from CLDR (Babel).

Messages live in ``portevoix/locales/<lang>/LC_MESSAGES/portevoix.po`` (compiled
to ``.mo`` by ``make catalogs``), one entry per key such as ``digest.title``,
with ``str.format`` placeholders. An entry that counts has plural forms
(``msgid_plural``) chosen by its ``count`` value with the language's own
rule (French: 0 and 1 are singular). A language is available when its
catalog is: a third one is one catalog away. Babel is imported only by the
functions that format dates and numbers, and the layer ships its CLDR data
for the catalogs' languages only.
"""

from __future__ import annotations

import gettext
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

DEFAULT = "fr"
DOMAIN = "portevoix"


def _locales() -> Any:
    return resources.files("portevoix").joinpath("locales")


@cache
def languages() -> tuple[str, ...]:
    """The languages that have a catalog (``fr``, ``en``, ...)."""
    root = _locales()
    return tuple(
        sorted(
            d.name
            for d in root.iterdir()
            if d.is_dir() and d.joinpath("LC_MESSAGES", f"{DOMAIN}.mo").is_file()
        )
    )


@cache
def _catalog(lang: str) -> gettext.GNUTranslations:
    with _locales().joinpath(lang, "LC_MESSAGES", f"{DOMAIN}.mo").open("rb") as f:
        return gettext.GNUTranslations(f)


def _lookup(lang: str, key: str, count: Any) -> str | None:
    catalog = _catalog(lang)
    if isinstance(count, int) and not isinstance(count, bool):
        text = catalog.ngettext(key, key + "#n", count)
        if text not in (key, key + "#n"):
            return text
    text = catalog.gettext(key)
    return None if text == key else text


def has(key: str) -> bool:
    """Whether the catalogs have the message ``key``."""
    return _lookup(DEFAULT, key, None) is not None or _lookup(DEFAULT, key, 2) is not None


def t(lang: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``lang`` (French when the language or the entry is missing)."""
    count = values.get("count")
    text = _lookup(lang if lang in languages() else DEFAULT, key, count)
    if text is None and lang != DEFAULT:
        text = _lookup(DEFAULT, key, count)
    if text is None:
        raise KeyError(f"no message {key!r} in the catalogs")
    return text.format(**values) if values else text


def _locale(lang: str) -> str:
    return lang if lang in languages() else DEFAULT


def format_date(dt: datetime, lang: str, *, with_time: bool = True) -> str:
    """A date (and time) as CLDR writes it in ``lang`` (the zone is the caller's)."""
    from babel import Locale, dates

    locale = _locale(lang)
    day = dates.format_skeleton("yMMMd", dt, locale=locale)
    if not with_time:
        return day
    time = dates.format_time(dt, "short", locale=locale)
    pattern = str(Locale.parse(locale).datetime_formats["medium"]).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", time)


def format_number(value: float, lang: str, decimals: int = 0) -> str:
    """``1 234,5`` in French (narrow no-break spaces), ``1,234.5`` in English (CLDR)."""
    from babel import numbers

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return numbers.format_decimal(value, format=pattern, locale=_locale(lang))


def format_money(minor: int, currency: str, lang: str) -> str:
    """An amount in minor units (cents) as the language writes money: ``12,50 €`` / ``€12.50``."""
    from babel import numbers

    digits = numbers.get_currency_precision(currency)
    return numbers.format_currency(minor / 10**digits, currency, locale=_locale(lang))


def format_percent(value: float, lang: str, decimals: int = 0) -> str:
    """``value`` percent (12.5 -> ``12,5 %`` / ``12.5%``), the language's own way."""
    from babel import numbers

    return numbers.format_percent(
        round(value, decimals) / 100, locale=_locale(lang), decimal_quantization=False
    )


def format_duration(seconds: float | None, lang: str) -> str:
    """A response time as people say it: ``45 min``, ``2 h 05``, ``3 j 4 h`` / ``3 d 4 h``."""
    if seconds is None:
        return "—"
    minutes = int(round(seconds / 60))
    if minutes < 1:
        return "< 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d}"
    days, hours = divmod(hours, 24)
    return t(lang, "duration.days", days=days, hours=hours)


def weekday(day: Any, lang: str) -> str:
    """A day of the month with its weekday: ``jeu. 3`` / ``3 Thu``."""
    from babel import dates

    return dates.format_skeleton("Ed", day, locale=_locale(lang))


def status_text(lang: str, status: str) -> str:
    """A post's or a publication's status as people say it (the raw name if unknown)."""
    key = f"status.{status}"
    return t(lang, key) if has(key) else status


def month_year(day: Any, lang: str) -> str:
    """``décembre 2026`` / ``December 2026``."""
    from babel import dates

    return dates.format_skeleton("yMMMM", day, locale=_locale(lang))
