"""Facebook Page: posts, photos, comments (hide with ``is_hidden``) via the Graph API."""

from __future__ import annotations

from typing import Any

from portevoix.networks.base import (
    Audience,
    Health,
    Limits,
    Mention,
    Metrics,
    Published,
    Rejected,
    Variant,
    count,
    graphemes,
)
from portevoix.networks.graph import GraphPages


class Facebook(GraphPages):
    name = "facebook"
    limits = Limits(max_chars=63206, counter=graphemes, max_media=1, can_hide=True)
    nodes_path = "{page_id}/posts"
    # Without filter=stream the edge gives top-level comments only and no `parent`:
    # replies to comments would never reach the inbox ("/{object-id}/comments",
    # developers.facebook.com/docs/graph-api/reference/object/comments, "filter").
    comment_params = {"filter": "stream", "order": "reverse_chronological"}

    def check_credentials(self) -> Health:
        me = self._call("GET", "me", params={"fields": "id,name"})
        if str(me.get("id")) != self.account.page_id:
            return Health(
                self.account_id,
                self.name,
                False,
                f"the token belongs to {me.get('name')}, not page {self.account.page_id}",
            )
        return Health(
            self.account_id, self.name, True, "page token accepted", identity=me.get("name")
        )

    def audience(self) -> Audience:
        page = self._call(
            "GET", self.account.page_id, params={"fields": "followers_count,fan_count"}
        )
        followers = count(page.get("followers_count"))
        return Audience(followers if followers is not None else count(page.get("fan_count")))

    def publish(self, variant: Variant, key: str) -> Published:
        if variant.reply_to:
            return self.reply(variant.reply_to, variant.text, key)
        page = self.account.page_id
        if variant.media:
            m = variant.media[0]
            params = {"caption": variant.text}
            if m.url:
                params["url"] = m.url
                data = self._call("POST", f"{page}/photos", params=params, idempotent=False)
            elif m.data is not None:
                files = {"source": (m.filename, m.data, m.mime)}
                data = self._call(
                    "POST", f"{page}/photos", params=params, files=files, idempotent=False
                )
            else:
                raise Rejected(self.account_id, "a photo needs bytes or a URL")
            post_id = data.get("post_id") or data["id"]
        else:
            params = {"message": variant.text}
            if variant.link:
                params["link"] = variant.link
            post_id = self._call("POST", f"{page}/feed", params=params, idempotent=False)["id"]
        return Published(post_id, f"https://www.facebook.com/{post_id}", self.name)

    def _own(self, c: dict[str, Any]) -> bool:
        return str((c.get("from") or {}).get("id")) == self.account.page_id

    def _comment(self, c: dict[str, Any], node: dict[str, Any], created: str) -> Mention:
        author = c.get("from") or {}
        return Mention(
            source=self.name,
            source_id=c["id"],
            ref=c["id"],
            author=author.get("name", ""),
            author_handle=str(author.get("id", "")),
            text=c.get("message", ""),
            url=c.get("permalink_url"),
            published=created or None,
            kind="comment",
            in_reply_to=(c.get("parent") or {}).get("id") or node["id"],
        )

    def metrics(self, ref: str) -> Metrics:
        fields = (
            "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
        )
        data = self._call("GET", ref, params={"fields": fields})
        return Metrics(
            ref,
            likes=((data.get("reactions") or {}).get("summary") or {}).get("total_count"),
            shares=(data.get("shares") or {}).get("count", 0),
            replies=((data.get("comments") or {}).get("summary") or {}).get("total_count"),
        )
