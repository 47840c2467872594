"""The weekly report: built from the week's figures, emailed once per language group.

``week`` says which hours count, ``queries`` reads them, ``figures`` holds the
rules, ``view`` formats them for a reader, ``export`` writes the CSV; this
module puts them together and sends the result (once per week on schedule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from portevoix.core import mail
from portevoix.core.i18n import t
from portevoix.reporting.export import brand_slug, to_csv
from portevoix.reporting.figures import Figures
from portevoix.reporting.queries import collect
from portevoix.reporting.view import view
from portevoix.reporting.week import Week

__all__ = ["Built", "Week", "build", "collect", "csv_name", "render", "send", "to_csv", "view"]


@dataclass
class Built:
    week: Week
    current: Figures
    previous: Figures


def build(config: Any, week: Week) -> Built:
    return Built(week, collect(config, week), collect(config, week.previous()))


def render(config: Any, built: Built, lang: str) -> Any:
    v = view(config, built.current, built.previous, lang)
    subject = t(
        lang,
        "report.subject",
        brand=config.brand.name,
        week=built.week.label,
        mentions=t(lang, "count.mentions", count=built.current.mentions),
        posts=t(lang, "count.posts", count=built.current.published),
    )
    filename = csv_name(config, built.week)
    rendered = mail.render("report", subject=subject, r=v, csv_file=filename)
    rendered.attachments = [(filename, to_csv(built.current, built.previous), "text/csv")]
    from portevoix.inbox import aftermath

    for report in built.current.episodes:  # each crisis episode's own report
        name = aftermath.csv_name(config, report["episode"])
        rendered.attachments.append((name, aftermath.to_csv(report), "text/csv"))
    return rendered


def csv_name(config: Any, week: Week) -> str:
    return f"porte-voix-{brand_slug(config)}-{week.label}.csv"


def send(
    config: Any,
    week: Week | None = None,
    now: datetime | None = None,
    *,
    once: bool = False,
    built: Built | None = None,
) -> list[dict[str, Any]]:
    """Email the report of ``week`` (default: the last complete week) to each language group.

    With ``once`` (the schedule), a marker per week and message makes a retried run send
    nothing twice and finish what a stopped one left.
    """

    now = (now or datetime.now(UTC)).astimezone(UTC)
    week = week or Week.last_complete(now, config.tz)
    groups = config.recipients("report")
    if not groups:
        return []
    built_now: list[Built] = [built] if built else []

    def render_for(lang: str) -> Any:
        if not built_now:
            built_now.append(build(config, week))
        return render(config, built_now[0], lang)

    return mail.send_groups_once(
        config,
        groups,
        render_for,
        kind="report",
        period=week.label if once else None,
        now=now,
        keep=timedelta(days=60),
        week=week.label,
    )
