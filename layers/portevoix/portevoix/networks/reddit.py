"""Reddit search (read-only mention source), through the Data API with OAuth.

Reddit's Data API wiki (support.reddithelp.com, "Data API Wiki", and
github.com/reddit-archive/reddit/wiki/API): clients must authenticate with
OAuth and send a User-Agent ``<platform>:<app ID>:<version> (by /u/<username>)``;
others are heavily limited or blocked. An app-only token comes from
``POST /api/v1/access_token`` (grant_type=client_credentials, the app's id and
secret in Basic auth); the API is then read at oauth.reddit.com.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from portevoix.core.timeutil import iso
from portevoix.networks.base import AuthError, Health, Limits, Mention, Network, Watermark


class Reddit(Network):
    name = "reddit"
    limits = Limits(max_chars=0, can_reply=False, has_metrics=False)

    def __init__(self, account: Any, secret: Any, client: Any):
        super().__init__(account, secret, client)
        from portevoix import __version__

        # Reddit asks for this exact form, with the account that registered the app.
        client.session.headers["User-Agent"] = (
            f"server:porte-voix:{__version__} (by /u/{account.username})"
        )
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def _app_token(self, renew: bool = False) -> str:
        with self._lock:
            if self._token and not renew and self._token[1] > time.monotonic():
                return self._token[0]
            data = self.secret_data() or {}
            client_id, client_secret = data.get("client_id"), data.get("client_secret")
            if not client_id or not client_secret:
                raise AuthError(
                    self.account_id,
                    'the secret must be JSON {"client_id": "...", "client_secret": "..."} '
                    "(an app registered at reddit.com/prefs/apps)",
                )
            answer = self.http.request(
                "POST",
                f"{self.account.base.rstrip('/')}/api/v1/access_token",
                data={"grant_type": "client_credentials"},
                auth=(client_id, client_secret),
                idempotent=True,
            ).json()
            if "access_token" not in answer:  # Reddit answers 200 {"error": ...} to bad ids
                raise AuthError(self.account_id, f"no token: {answer.get('error', answer)}")
            lifetime = float(answer.get("expires_in") or 3600)
            self._token = (answer["access_token"], time.monotonic() + lifetime - 60)
            return self._token[0]

    def _listing(self, subreddit: str | None) -> list[dict[str, Any]]:
        path = f"/r/{subreddit}/search" if subreddit else "/search"
        params: dict[str, Any] = {
            "q": self.account.query,
            "sort": "new",
            "limit": 100,
            "raw_json": 1,
            "type": "link",
        }
        if subreddit:
            params["restrict_sr"] = 1
        url = self.account.api_base.rstrip("/") + path
        for renew in (False, True):
            headers = {"Authorization": f"bearer {self._app_token(renew)}"}
            try:
                data = self.http.request("GET", url, params=params, headers=headers).json()
                break
            except AuthError:
                if renew:
                    raise
        return [
            c["data"] for c in (data.get("data") or {}).get("children", []) if c.get("kind") == "t3"
        ]

    def check_credentials(self) -> Health:
        self._listing(None)
        return Health(self.account_id, self.name, True, "app token accepted, search reachable")

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
