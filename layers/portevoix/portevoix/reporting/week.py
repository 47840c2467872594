"""ISO weeks in the brand's time zone: what a weekly report covers (pure, no I/O).

A week runs Monday 00:00 to Monday 00:00 local time, so a week that changes
the clocks lasts 167 or 169 hours, and each of them counts once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portevoix.core.errors import ReportError

_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Week:
    year: int
    number: int
    tz: ZoneInfo

    @classmethod
    def parse(cls, text: str, tz: ZoneInfo) -> Week:
        m = _WEEK.match(text.strip())
        if not m:
            raise ReportError(f"week {text!r}: write it as YYYY-Www, e.g. 2026-W48")
        year, number = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ReportError(f"week {text!r}: {year} has no week {number}") from None
        return cls(year, number, tz)

    @classmethod
    def containing(cls, when: datetime, tz: ZoneInfo) -> Week:
        year, number, _ = when.astimezone(tz).date().isocalendar()
        return cls(year, number, tz)

    @classmethod
    def last_complete(cls, now: datetime, tz: ZoneInfo) -> Week:
        """The week before the one ``now`` falls in (what a Monday report covers)."""
        return cls.containing(now, tz).previous()

    def previous(self) -> Week:
        return Week.containing(self.start - timedelta(days=3), self.tz)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def days(self) -> list[date]:
        monday = date.fromisocalendar(self.year, self.number, 1)
        return [monday + timedelta(days=i) for i in range(7)]

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def start(self) -> datetime:
        return self._midnight(self.days[0])

    @property
    def end(self) -> datetime:
        return self._midnight(self.days[-1] + timedelta(days=1))

    def local_day(self, when: datetime) -> date:
        return when.astimezone(self.tz).date()
