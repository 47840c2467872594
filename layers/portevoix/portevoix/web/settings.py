"""The studio's Settings: the configuration edited by section, checked, diffed, saved, restored.

Every change goes the same way: the new YAML is built from the form, checked
as ``config check`` does (each problem names its field), shown as a diff,
and saved as a new version of the configuration parameter only when the
member confirms. The history lists SSM's versions; "Restore" makes an
earlier one current again (through the same diff and confirmation).
"""

from __future__ import annotations

import re
from typing import Any

from portevoix.core.i18n import t
from portevoix.web.http import Response, redirect
from portevoix.web.routes import Ctx, route

YAML_SECTIONS = ("team", "approvers", "charter", "templates")


def _dump(value: Any) -> str:
    import yaml

    if value in (None, [], {}):
        return ""
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100)


def _terms(text: str) -> list[str]:
    return [term.strip() for term in re.split(r"[,\n]", text) if term.strip()]


def _lines(text: str) -> list[tuple[str, list[str]]]:
    """``name: a, b`` lines (one entry each) as (name, [a, b])."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, rest = line.partition(":")
        out.append((name.strip(), _terms(rest)))
    return out


@route("GET", r"/settings")
def settings_page(ctx: Ctx) -> Response:
    from portevoix.core import configstore

    text, version = configstore.current()
    saved = ctx.request.query.get("saved", "")
    notice = t(ctx.lang, "settings.saved", version=saved) if saved.isdigit() else None
    return _page(ctx, text, version, notice=notice)


def _page(
    ctx: Ctx,
    text: str,
    version: int,
    *,
    notice: str | None = None,
    problems: list[str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    import yaml

    from portevoix.core import configstore

    data = yaml.safe_load(text) or {}
    topics = "\n".join(
        f"{name}: {', '.join(terms or [])}" for name, terms in (data.get("topics") or {}).items()
    )
    competitors = "\n".join(
        f"{c.get('name', '')}: {', '.join(c.get('aliases') or [])}".rstrip(": ")
        for c in data.get("competitors") or []
        if isinstance(c, dict)
    )
    sections = {
        "topics": topics,
        "competitors": competitors,
        "team": _dump(data.get("team")),
        "approvers": _dump(data.get("approvers")),
        "charter": _dump(data.get("charter")),
        "templates": _dump((data.get("inbox") or {}).get("templates")),
        "yaml": text,
    }
    sections.update(values or {})
    history = [
        {"number": v.number, "when": v.modified, "note": v.note} for v in configstore.history(20)
    ]
    from portevoix.core.i18n import format_date

    for entry in history:
        entry["when"] = format_date(entry["when"].astimezone(ctx.config.tz), ctx.lang)
    return ctx.page(
        "settings.html",
        status,
        version=version,
        feeds=[f for f in data.get("feeds") or [] if isinstance(f, dict)],
        sections=sections,
        history=history,
        notice=notice,
        problems=problems or [],
        feed_values=values or {},
    )


def _edit(ctx: Ctx, change: Any, values: dict[str, str], note: str) -> Response:
    """Build the new YAML, check it, and show the diff to confirm (or the problems)."""
    from portevoix.core import configstore
    from portevoix.core.errors import ConfigError

    text, version = configstore.current()
    try:
        new = configstore.edited(text, change) if callable(change) else change
        configstore.check(new)
    except ConfigError as exc:
        return _page(ctx, text, version, problems=exc.problems, values=values, status=422)
    except ValueError as exc:  # a section's own YAML did not parse
        return _page(ctx, text, version, problems=[str(exc)], values=values, status=422)
    return _review(ctx, text, new, version, note)


def _review(ctx: Ctx, old: str, new: str, version: int, note: str) -> Response:
    from portevoix.core import configstore

    lines = configstore.diff(old, new)
    return ctx.page(
        "settings_review.html",
        diff=[{"kind": line[:1], "text": line} for line in lines],
        text=new,
        based_on=version,
        note=note,
        unchanged=not lines,
    )


@route("POST", r"/settings/feeds")
def settings_feeds(ctx: Ctx) -> Response:
    """Add a feed (tested first; a site's page gives the feed it advertises) or remove one."""
    form = ctx.request.form()
    if form.get("remove", "").isdigit():
        index = int(form["remove"])

        def drop(data: dict[str, Any]) -> None:
            feeds = data.get("feeds") or []
            if index >= len(feeds):
                raise ValueError("that feed is no longer in the configuration: reload the page")
            data["feeds"] = feeds[:index] + feeds[index + 1 :]

        return _edit(ctx, drop, {}, "removed a feed")
    url = form.get("url", "").strip()
    values = {
        "feed_url": url,
        "feed_name": form.get("name", ""),
        "feed_topics": form.get("topics", ""),
    }
    found, problem = _test_feed(ctx.config, url)
    if problem:
        from portevoix.core import configstore

        text, version = configstore.current()
        return _page(ctx, text, version, problems=[f"feeds: {problem}"], values=values, status=422)

    def add(data: dict[str, Any]) -> None:
        entry: dict[str, Any] = {"url": found["url"]}
        name = form.get("name", "").strip() or found["title"]
        if name:
            entry["name"] = name[:200]
        topics = _terms(form.get("topics", ""))
        if topics:
            entry["topics"] = topics
        data["feeds"] = [*(data.get("feeds") or []), entry]

    return _edit(ctx, add, values, f"added the feed {found['url']}")


def _test_feed(config: Any, url: str) -> tuple[dict[str, Any], str | None]:
    """Fetch ``url`` as the veille would: its feed (or the one a page advertises), or why not."""
    from portevoix.core.errors import FeedParseError, FetchError
    from portevoix.core.http import AddressPolicy, Fetcher, Limits, user_agent
    from portevoix.listening import feeds

    if not url.startswith(("https://", "http://")):
        return {}, f"{url!r} is not an address starting with https:// or http://"
    fetcher = Fetcher(
        AddressPolicy.from_config(config.fetch),
        Limits.from_config(config.fetch),
        agent=user_agent(config.fetch.contact),
        pool_size=2,
    )
    try:
        resp = fetcher.get(url)
        parsed = feeds.parse(resp.body, url=resp.url, feed_key="test", headers=resp.headers)
        if parsed.alternate:  # a site's page: the feed it advertises
            url = parsed.alternate
            resp = fetcher.get(url)
            parsed = feeds.parse(resp.body, url=resp.url, feed_key="test", headers=resp.headers)
            if parsed.alternate:
                return {}, f"{url} is a page, not a feed"
    except (FetchError, FeedParseError) as exc:
        return {}, f"{url}: {exc}"
    finally:
        fetcher.close()
    return {"url": url, "title": parsed.title, "entries": len(parsed.entries)}, None


@route("POST", r"/settings/(?P<section>topics|competitors|team|approvers|charter|templates|yaml)")
def settings_section(ctx: Ctx, section: str) -> Response:
    import yaml

    value = ctx.request.form().get("value", "")
    values = {section: value}
    if section == "yaml":
        return _edit(ctx, value, values, "edited the YAML")

    def parsed_yaml() -> Any:
        try:
            return yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise ValueError(
                f"{section}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"
            ) from None

    def change(data: dict[str, Any]) -> None:
        if section == "topics":
            data["topics"] = {name: terms for name, terms in _lines(value)}
        elif section == "competitors":
            data["competitors"] = [
                {"name": name, **({"aliases": aliases} if aliases else {})}
                for name, aliases in _lines(value)
            ]
        elif section == "templates":
            inbox = data.setdefault("inbox", {}) or {}
            inbox["templates"] = parsed_yaml() or {}
            data["inbox"] = inbox
        else:
            found = parsed_yaml()
            if found is None:
                data.pop(section, None)
            else:
                data[section] = found

    return _edit(ctx, change, values, f"edited {section}")


@route("POST", r"/settings/restore")
def settings_restore(ctx: Ctx) -> Response:
    from portevoix.core import configstore

    wanted = ctx.request.form().get("version", "")
    text, version = configstore.current()
    old = next((v for v in configstore.history(100) if str(v.number) == wanted), None)
    if old is None:
        return _page(
            ctx, text, version, problems=[f"version {wanted} is not kept any more"], status=404
        )
    return _review(ctx, text, old.text, version, f"restored version {old.number}")


@route("POST", r"/settings/save")
def settings_save(ctx: Ctx) -> Response:
    from portevoix.core import configstore
    from portevoix.core.errors import ConfigConflict, ConfigError

    form = ctx.request.form()
    assert ctx.session is not None
    try:
        number = configstore.save(
            form.get("text", ""),
            based_on=int(form.get("based_on") or 0),
            by=ctx.session.email,
            note=form.get("note", "")[:200] or "edited the configuration",
        )
    except (ConfigConflict, ConfigError) as exc:
        text, version = configstore.current()
        problems = exc.problems if isinstance(exc, ConfigError) else [str(exc)]
        return _page(ctx, text, version, problems=problems, status=409)
    return redirect(f"/settings?saved={number}")
