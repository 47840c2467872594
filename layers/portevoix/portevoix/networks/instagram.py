"""Instagram (professional account) via the Graph API: container, then publish.

Instagram pulls media from a public URL (a short-lived presigned S3 URL in
production). Creating a container is harmless; ``media_publish`` is the
effect, and a lost answer is resolved by reading the latest media.
"""

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
    TransientError,
    Variant,
    count,
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

    def audience(self) -> Audience:
        me = self._call(
            "GET",
            self.account.user_id,
            params={"fields": "followers_count,follows_count,media_count"},
        )
        return Audience(
            count(me.get("followers_count")),
            count(me.get("follows_count")),
            count(me.get("media_count")),
        )

    # "Content Publishing" (developers.facebook.com/docs/instagram-platform/content-publishing):
    # a carousel item is an image (image_url) or a video (media_type=VIDEO, video_url), each
    # a container that must be FINISHED before the carousel container is made; a single
    # video is a reel. Meta advises reading status_code no more than once a minute for
    # five minutes; a Lambda waits WAIT_SECONDS in all, then the workflow retries later.
    WAIT_SECONDS = 150.0

    def _create(self, params: dict[str, str]) -> str:
        return self._call("POST", f"{self.account.user_id}/media", params=params, idempotent=True)[
            "id"
        ]

    def _container(self, variant: Variant) -> str:
        urls = [m.url for m in variant.media]
        if not urls or any(not u for u in urls):
            raise Rejected(
                self.account_id, "Instagram takes media by public URL only, at least one"
            )
        budget = [self.WAIT_SECONDS]  # seconds left to wait, shared by every container
        if len(variant.media) == 1:
            m = variant.media[0]
            if m.mime.startswith("video/"):
                params = {"media_type": "REELS", "video_url": m.url, "caption": variant.text}
            else:
                params = {"image_url": m.url, "caption": variant.text}
            container = self._create(params)
            self._wait(container, budget)
            return container
        children = []
        for m in variant.media:
            if m.mime.startswith("video/"):
                item = {"media_type": "VIDEO", "video_url": m.url, "is_carousel_item": "true"}
            else:
                item = {"image_url": m.url, "is_carousel_item": "true"}
            children.append(self._create(item))
        for child in children:
            self._wait(child, budget)
        parent = self._create(
            {"media_type": "CAROUSEL", "children": ",".join(children), "caption": variant.text}
        )
        self._wait(parent, budget)
        return parent

    def _wait(self, container: str, budget: list[float]) -> None:
        """Return once the container is FINISHED; its status is read with growing pauses."""
        pause = 1.0
        while True:
            status = self._call("GET", container, params={"fields": "status_code"}).get(
                "status_code"
            )
            if status in (None, "FINISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                raise Rejected(self.account_id, f"Instagram could not process the media ({status})")
            if pause > budget[0]:
                raise TransientError(
                    self.account_id, f"Instagram is still processing media container {container}"
                )
            self.http.sleep(pause)
            budget[0] -= pause
            pause = min(pause * 2, 15.0)

    def publish(self, variant: Variant, key: str) -> Published:
        if variant.reply_to:
            return self.reply(variant.reply_to, variant.text, key)
        container = self._container(variant)
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
