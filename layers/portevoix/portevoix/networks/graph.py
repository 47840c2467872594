"""Meta's Graph API, shared by the Facebook Page and Instagram clients.

Graph errors come as HTTP 400/403 with ``{"error": {"code": ..}}``: code 190
(or 102, 463, 467) means the token is invalid or expired; 4, 17, 32, 613 and
80001-80014 mean rate limits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import requests

from portevoix.core.timeutil import iso_or_none, parse_iso
from portevoix.networks.base import AuthError, Network, Published, Rejected, Watermark

AUTH_CODES = {102, 190, 463, 467}
RATE_CODES = {4, 17, 32, 613} | set(range(80001, 80015))


def graph_error(resp: requests.Response) -> str:
    try:
        err = resp.json().get("error") or {}
    except ValueError:
        return (resp.text or "")[:300]
    code = err.get("code")
    sub = err.get("error_subcode")
    return f"{err.get('message', '')} (code {code}{f', subcode {sub}' if sub else ''})"


def graph_rate_wait(resp: requests.Response) -> float | None:
    """Seconds to wait when Graph says a rate limit is reached, else None.

    "Rate Limiting" (developers.facebook.com/docs/graph-api/overview/rate-limiting): Page
    and Instagram calls count per business use case, and X-Business-Use-Case-Usage gives
    estimated_time_to_regain_access in minutes; app-level limits (X-App-Usage, percentages)
    are a rolling hour. Without either header, a few minutes, then the work is retried.
    """
    try:
        code = (resp.json().get("error") or {}).get("code")
    except (ValueError, AttributeError):
        return None
    if code not in RATE_CODES:
        return None
    minutes = [
        float(entry.get("estimated_time_to_regain_access") or 0)
        for entries in _header_json(resp, "X-Business-Use-Case-Usage").values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    if any(minutes):
        return max(60.0, 60.0 * max(minutes))
    app = _header_json(resp, "X-App-Usage")
    if any(_number(v) >= 100 for v in app.values()):
        return 3600.0
    return 300.0


def _header_json(resp: requests.Response, name: str) -> dict[str, Any]:
    import json

    try:
        value = json.loads(resp.headers.get(name) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class GraphNetwork(Network):
    """Calls ``{base}/{version}/...`` with the page token and maps Graph error codes."""

    error_reader = staticmethod(graph_error)
    rate_reader = staticmethod(graph_rate_wait)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:

        params = dict(kwargs.pop("params", {}) or {})
        params["access_token"] = self.token()
        url = f"{self.account.base.rstrip('/')}/{self.account.graph_version}/{path.lstrip('/')}"
        try:
            resp = self.http.request(method, url, params=params, **kwargs)
        except Rejected as exc:
            text = str(exc)
            codes = {int(c) for c in _codes(text)}
            if codes & AUTH_CODES:
                raise AuthError(
                    self.account_id, text.split(": ", 1)[-1], status=exc.status
                ) from None
            raise
        return resp.json() if resp.content else {}


def _codes(text: str) -> list[str]:
    import re

    return re.findall(r"code (\d+)", text)


class GraphPages(GraphNetwork):
    """What Pages and Instagram share: recent nodes, their comments, hiding, lookups.

    Subclasses name their fields: the node list, the text and time fields,
    the reply edge and the hide parameter.
    """

    nodes_path = ""  # e.g. "{page_id}/posts"
    text_field = "message"
    time_field = "created_time"
    link_field = "permalink_url"
    reply_edge = "comments"
    hide_param = "is_hidden"
    comment_fields = "id,message,from,created_time,permalink_url,parent"
    comment_params: dict[str, str] = {}
    RECENT = 5
    COMMENT_PAGES = 20  # 100 a page: a post's 2,000 newest comments per poll

    def _nodes(self) -> list[dict[str, Any]]:
        fields = f"id,{self.text_field},{self.time_field},{self.link_field}"
        path = self.nodes_path.format(**self.account.__dict__)
        return self._call("GET", path, params={"fields": fields, "limit": 10}).get("data", [])

    def find_published(self, key: str, variant: Any, since: datetime) -> Any:

        floor = since - timedelta(minutes=2)
        for node in self._nodes():
            created = parse_iso(node.get(self.time_field))
            if node.get(self.text_field) == variant.text and (created is None or created >= floor):
                return Published(
                    node["id"],
                    node.get(self.link_field),
                    self.name,
                    iso_or_none(node.get(self.time_field)),
                    True,
                )
        return None

    def _comment(self, c: dict[str, Any], node: dict[str, Any], created: str) -> Any:
        raise NotImplementedError

    def _own(self, c: dict[str, Any]) -> bool:
        return False

    def fetch_mentions(self, cursor: str | None) -> tuple[list[Any], str | None]:

        mark = Watermark(cursor)
        mentions = []
        for node in self._nodes()[: self.RECENT]:
            for c in self._comments(node["id"], mark):
                created = iso_or_none(c.get(self.time_field)) or ""
                if not mark.is_new(created, c["id"]) or self._own(c):
                    continue
                mark.add(created, c["id"])
                mentions.append(self._comment(c, node, created))
        return sorted(mentions, key=lambda m: m.published or ""), mark.dump() or cursor

    def _comments(self, node_id: str, mark: Watermark) -> Any:
        """A node's comments, page after page (cursor paging: "Paginated Results",
        developers.facebook.com/docs/graph-api/results); newest first, paging stops
        at the first page that reaches what an earlier poll already read."""
        newest_first = self.comment_params.get("order") == "reverse_chronological"
        params = {"fields": self.comment_fields, "limit": 100, **self.comment_params}
        for _ in range(self.COMMENT_PAGES):
            data = self._call("GET", f"{node_id}/comments", params=params)
            page = data.get("data") or []
            yield from page
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not page or not after or not paging.get("next"):
                return
            last = page[-1]
            if newest_first and not mark.is_new(
                iso_or_none(last.get(self.time_field)) or "", last["id"]
            ):
                return
            params["after"] = after

    def replies_to(self, ref: str) -> list[Any]:
        """Every comment under the post (page after page), its author's id as ``author_id``."""
        found = []
        for c in self._comments(ref, Watermark(None)):
            created = iso_or_none(c.get(self.time_field)) or ""
            if self._own(c):
                continue
            mention = self._comment(c, {"id": ref}, created)
            author = c.get("from") or {}
            mention.extra["author_id"] = str(author.get("id") or c.get("username") or "")
            found.append(mention)
        return found

    def reply(self, to_ref: str, text: str, key: str) -> Any:
        if to_ref.startswith("dm:"):  # a direct message: the Send API, in its conversation
            return self._message(to_ref[3:], text)
        data = self._call(
            "POST", f"{to_ref}/{self.reply_edge}", params={"message": text}, idempotent=False
        )
        return Published(data["id"], None, self.name)

    def _message(self, recipient: str, text: str) -> Any:
        """The Messenger Platform's Send API through the Page token (Messenger and Instagram):
        ``POST /me/messages`` with ``messaging_type=RESPONSE``, within Meta's 24 hours.
        developers.facebook.com/docs/messenger-platform/reference/send-api"""
        import json

        data = self._call(
            "POST",
            "me/messages",
            params={
                "recipient": json.dumps({"id": recipient}),
                "messaging_type": "RESPONSE",
                "message": json.dumps({"text": text}),
            },
            idempotent=False,
        )
        return Published(str(data.get("message_id", "")), None, self.name)

    def hide(self, ref: str) -> None:
        data = self._call("POST", ref, params={self.hide_param: "true"}, idempotent=True)
        if not data.get("success", False):
            raise Rejected(self.account_id, f"{self.name} did not hide comment {ref}")
