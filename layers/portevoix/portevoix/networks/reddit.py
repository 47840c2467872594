"""Reddit search (read-only mention source), through the public JSON listings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portevoix.core.timeutil import iso
from portevoix.networks.base import Health, Limits, Mention, Network, Watermark


class Reddit(Network):
    name = "reddit"
    limits = Limits(max_chars=0, can_reply=False, has_metrics=False)

    def _listing(self, subreddit: str | None) -> list[dict[str, Any]]:
        base = self.account.base.rstrip("/")
        path = f"/r/{subreddit}/search.json" if subreddit else "/search.json"
        params: dict[str, Any] = {
            "q": self.account.query,
            "sort": "new",
            "limit": 100,
            "raw_json": 1,
        }
        if subreddit:
            params["restrict_sr"] = 1
        data = self.http.request("GET", base + path, params=params).json()
        return [
            c["data"] for c in (data.get("data") or {}).get("children", []) if c.get("kind") == "t3"
        ]

    def check_credentials(self) -> Health:
        self._listing(None)
        return Health(self.account_id, self.name, True, "search reachable (no credentials needed)")

    def fetch_mentions(self, cursor: str | None) -> tuple[list[Mention], str | None]:
        mark = Watermark(cursor)
        found: dict[str, Mention] = {}
        for sub in self.account.subreddits or [None]:
            for post in self._listing(sub):
                created = float(post.get("created_utc") or 0)
                stamp = f"{created:017.3f}"
                if not mark.is_new(stamp, post["name"]):
                    continue
                mark.add(stamp, post["name"])
                found.setdefault(
                    post["name"],
                    Mention(
                        source=self.name,
                        source_id=post["name"],
                        ref=post["name"],
                        author=post.get("author") or "",
                        author_handle="u/" + (post.get("author") or ""),
                        text=f"{post.get('title', '')} {post.get('selftext', '')}".strip(),
                        url="https://www.reddit.com" + post.get("permalink", ""),
                        published=iso(datetime.fromtimestamp(created, UTC)),
                        kind="search",
                        extra={"subreddit": post.get("subreddit"), "score": post.get("score")},
                    ),
                )
        return sorted(found.values(), key=lambda m: m.published or ""), mark.dump() or cursor
