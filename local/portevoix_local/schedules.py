"""The template's schedules, fired by the local mode as EventBridge Scheduler would.

Each ``ScheduleV2`` event of ``infra/template.yaml`` is read as it is
deployed: its function (from the function's ``CodeUri``), its expression
(``rate(...)`` or ``cron(...)``, parameters such as ``${DigestHour}``
substituted), its time zone and its ``Input`` (the ``job``). Nothing is
retyped here, so a schedule added or changed in the template is fired
locally as deployed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")


class ScheduleError(ValueError):
    """A schedule expression the local scheduler cannot read."""


def _field(spec: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    """The values a cron field allows; None for ``*`` or ``?`` (any)."""
    if spec in ("*", "?"):
        return None
    out: set[int] = set()
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise ScheduleError(f"cron field {spec!r}: values must be within {low}-{high}")
        out.update(range(start, end + 1, step))
    return out


def _value(text: str, names: dict[str, int] | None) -> int:
    text = text.upper()
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise ScheduleError(f"cron value {text!r} is not supported locally (L, W and # are not)")
    return int(text)


@dataclass
class Schedule:
    """One schedule of the template."""

    name: str
    function: str  # functions/<function>/app.py
    expression: str
    timezone: str
    input: dict[str, Any]

    @property
    def job(self) -> str:
        return str(self.input.get("job") or self.name)

    def every(self) -> timedelta | None:
        """The period of a ``rate(...)`` schedule, else None."""
        m = _RATE.match(self.expression)
        if not m:
            return None
        n, unit = int(m.group(1)), m.group(2).rstrip("s")
        return timedelta(**{f"{unit}s": n})

    def fires_at(self, when: datetime) -> bool:
        """Whether a ``cron(...)`` schedule fires in the minute of ``when``."""
        m = _CRON.match(self.expression)
        if not m:
            return False
        fields = m.group(1).split()
        if len(fields) != 6:
            raise ScheduleError(f"{self.expression}: a cron has six fields")
        minute, hour, dom, month, dow, year = fields
        local = when.astimezone(ZoneInfo(self.timezone))
        checks = [
            (_field(minute, 0, 59), local.minute),
            (_field(hour, 0, 23), local.hour),
            (_field(dom, 1, 31), local.day),
            (_field(month, 1, 12, _MONTHS), local.month),
            (_field(dow, 1, 7, _DAYS), local.isoweekday() % 7 + 1),  # AWS: 1 = Sunday
            (_field(year, 1970, 2199), local.year),
        ]
        return all(allowed is None or value in allowed for allowed, value in checks)

    def due(self, last: datetime | None, now: datetime) -> bool:
        """Whether the schedule fires in ``(last, now]`` (a rate fires at once, then every period)."""
        period = self.every()
        if period is not None:
            return last is None or now - last >= period
        if _CRON.match(self.expression) is None:
            raise ScheduleError(f"{self.name}: {self.expression!r} is neither rate() nor cron()")
        start = (last or now - timedelta(minutes=1)).replace(second=0, microsecond=0)
        minute = start + timedelta(minutes=1)
        while minute <= now:
            if self.fires_at(minute):
                return True
            minute += timedelta(minutes=1)
        return False


def _resolve(value: Any, parameters: dict[str, str]) -> Any:
    """Plain text for ``!Sub`` and ``!Ref`` of the template's parameters."""
    if isinstance(value, dict) and "Sub" in value:
        text = value["Sub"]
        return re.sub(r"\$\{(\w+)\}", lambda m: str(parameters.get(m.group(1), m.group(0))), text)
    if isinstance(value, dict) and "Ref" in value:
        return str(parameters[value["Ref"]])
    return value


def from_template(template: dict[str, Any], parameters: dict[str, Any]) -> list[Schedule]:
    """Every ``ScheduleV2`` event of the template's functions."""
    defaults = {
        name: str(p.get("Default", "")) for name, p in (template.get("Parameters") or {}).items()
    }
    params = {**defaults, **{k: str(v) for k, v in parameters.items()}}
    out = []
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties", {})
        function = str(props.get("CodeUri", "")).rstrip("/").rsplit("/", 1)[-1]
        for name, event in (props.get("Events") or {}).items():
            if event.get("Type") != "ScheduleV2":
                continue
            ev = event.get("Properties", {})
            out.append(
                Schedule(
                    name=name,
                    function=function,
                    expression=_resolve(ev["ScheduleExpression"], params).strip(),
                    timezone=_resolve(ev.get("ScheduleExpressionTimezone", "UTC"), params),
                    input=json.loads(ev.get("Input") or "{}"),
                )
            )
    return out


def schedule_event(schedule: Schedule, when: datetime) -> dict[str, Any]:
    """The event EventBridge Scheduler sends: the template's Input with its placeholders filled."""
    when = when.astimezone(UTC)
    filled = {
        "<aws.scheduler.scheduled-time>": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.schedule-arn>": (
            f"arn:aws:scheduler:local:000000000000:schedule/default/{schedule.job}"
        ),
        "<aws.scheduler.attempt-number>": "1",
    }
    return {k: filled.get(v, v) if isinstance(v, str) else v for k, v in schedule.input.items()}


def job_event(job: str, when: datetime | None = None) -> dict[str, Any]:
    """The event of a scheduled ``job`` (or of a job run by hand, such as ``veille-now``)."""
    return schedule_event(
        Schedule(job, "", "", "UTC", {**EVENT_INPUT, "job": job}), when or datetime.now(UTC)
    )


EVENT_INPUT = {
    "scheduled_time": "<aws.scheduler.scheduled-time>",
    "schedule_arn": "<aws.scheduler.schedule-arn>",
    "attempt": "<aws.scheduler.attempt-number>",
}
