"""Hacker News through the Algolia search API (read-only mention source)."""

from __future__ import annotations

from typing import Any

from portevoix.core.text import html_to_text
from portevoix.core.timeutil import iso_or_none
from portevoix.networks.base import Health, Limits, Mention, Network, Watermark

ITEM_URL = "https://news.ycombinator.com/item?id={}"


class HackerNews(Network):
    name = "hackernews"
    limits = Limits(max_chars=0, can_reply=False, has_metrics=False)

    def _search(self, since: int | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "query": self.account.query,
            "tags": "(story,comment)",
            "hitsPerPage": 50,
        }
        if since:
            params["numericFilters"] = f"created_at_i>{since}"
        return self.http.request(
            "GET", f"{self.account.base.rstrip('/')}/api/v1/search_by_date", params=params
        ).json()

    def check_credentials(self) -> Health:
        self._search(None)
        return Health(self.account_id, self.name, True, "search reachable (no credentials needed)")

    def fetch_mentions(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        mark = Watermark(cursor)
        data = self._search(int(mark.t) - 1 if mark.t else None)
        mentions = []
        for hit in data.get("hits", []):
            created = int(hit.get("created_at_i") or 0)
            if not mark.is_new(f"{created:012d}", str(hit["objectID"])):
                continue
            mark.add(f"{created:012d}", str(hit["objectID"]))
            is_comment = "comment" in (hit.get("_tags") or [])
            text = html_to_text(hit.get("comment_text") or hit.get("story_text") or "")
            title = hit.get("title") or hit.get("story_title") or ""
            mentions.append(
                Mention(
                    source=self.name,
                    source_id=str(hit["objectID"]),
                    ref=str(hit["objectID"]),
                    author=hit.get("author") or "",
                    author_handle=hit.get("author") or "",
                    text=text if is_comment else (f"{title} {text}".strip()),
                    url=ITEM_URL.format(hit["objectID"]),
                    published=iso_or_none(hit.get("created_at")),
                    kind="comment" if is_comment else "search",
                    in_reply_to=str(hit["parent_id"]) if hit.get("parent_id") else None,
                    extra={"link": hit.get("url"), "points": hit.get("points")},
                )
            )
        return sorted(mentions, key=lambda m: m.published or ""), mark.dump() or cursor
