"""Instagram (professional account) via the Graph API: container, then publish.

Instagram pulls media from a public URL (a short-lived presigned S3 URL in
production). Creating a container is harmless; ``media_publish`` is the
effect, and a lost answer is resolved by reading the latest media.
"""

from __future__ import annotations

import time
from typing import Any

from portevoix.networks.base import (
    Health,
    Limits,
    Mention,
    Metrics,
    Published,
    Rejected,
    TransientError,
    Variant,
    graphemes,
)
from portevoix.networks.graph import GraphPages


class Instagram(GraphPages):
    name = "instagram"
    limits = Limits(
        max_chars=2200,
        counter=graphemes,
        max_media=10,
        media_types=("image/jpeg", "video/mp4"),
        media_required=True,
        media_by_url=True,
        can_hide=True,
        max_hashtags=30,
    )
    nodes_path = "{user_id}/media"
    text_field = "caption"
    time_field = "timestamp"
    link_field = "permalink"
    reply_edge = "replies"
    hide_param = "hide"
    comment_fields = "id,text,username,timestamp"

    def check_credentials(self) -> Health:
        me = self._call("GET", self.account.user_id, params={"fields": "id,username"})
        return Health(
            self.account_id,
            self.name,
            True,
            "token accepted",
            identity="@" + me.get("username", ""),
        )

    def _container(self, variant: Variant) -> str:
        user = self.account.user_id
        urls = [m.url for m in variant.media]
        if not urls or any(not u for u in urls):
            raise Rejected(
                self.account_id, "Instagram takes media by public URL only, at least one"
            )
        if len(urls) == 1:
            kind = "video_url" if variant.media[0].mime.startswith("video/") else "image_url"
            params = {kind: urls[0], "caption": variant.text}
            if kind == "video_url":
                params["media_type"] = "REELS"
            return self._call("POST", f"{user}/media", params=params, idempotent=True)["id"]
        children = [
            self._call(
                "POST",
                f"{user}/media",
                params={"image_url": u, "is_carousel_item": "true"},
                idempotent=True,
            )["id"]
            for u in urls
        ]
        return self._call(
            "POST",
            f"{user}/media",
            params={
                "media_type": "CAROUSEL",
                "children": ",".join(children),
                "caption": variant.text,
            },
            idempotent=True,
        )["id"]

    def _wait(self, container: str) -> None:
        for _ in range(30):
            status = self._call("GET", container, params={"fields": "status_code"}).get(
                "status_code"
            )
            if status in (None, "FINISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                raise Rejected(self.account_id, f"Instagram could not process the media ({status})")
            time.sleep(2)
        raise TransientError(self.account_id, "Instagram is still processing the media")

    def publish(self, variant: Variant, key: str) -> Published:
        if variant.reply_to:
            return self.reply(variant.reply_to, variant.text, key)
        container = self._container(variant)
        if any(m.mime.startswith("video/") for m in variant.media):
            self._wait(container)  # videos are processed first; images are ready at once
        media_id = self._call(
            "POST",
            f"{self.account.user_id}/media_publish",
            params={"creation_id": container},
            idempotent=False,
        )["id"]
        link = self._call("GET", media_id, params={"fields": "permalink"}).get("permalink")
        return Published(media_id, link, self.name)

    def _comment(self, c: dict[str, Any], node: dict[str, Any], created: str) -> Mention:
        return Mention(
            source=self.name,
            source_id=c["id"],
            ref=c["id"],
            author=c.get("username", ""),
            author_handle="@" + c.get("username", ""),
            text=c.get("text", ""),
            url=node.get("permalink"),
            published=created or None,
            kind="comment",
            in_reply_to=node["id"],
        )

    def metrics(self, ref: str) -> Metrics:
        data = self._call("GET", ref, params={"fields": "like_count,comments_count"})
        return Metrics(ref, likes=data.get("like_count"), replies=data.get("comments_count"))
