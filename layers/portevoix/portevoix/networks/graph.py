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
from portevoix.networks.base import AuthError, Network, Published, RateLimited, Rejected, Watermark

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


class GraphNetwork(Network):
    """Calls ``{base}/{version}/...`` with the page token and maps Graph error codes."""

    error_reader = staticmethod(graph_error)

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
            if codes & RATE_CODES:
                raise RateLimited(self.account_id, 3600.0, status=exc.status) from None
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
    RECENT = 5

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
            params = {"fields": self.comment_fields, "limit": 50}
            data = self._call("GET", f"{node['id']}/comments", params=params)
            for c in data.get("data", []):
                created = iso_or_none(c.get(self.time_field)) or ""
                if not mark.is_new(created, c["id"]) or self._own(c):
                    continue
                mark.add(created, c["id"])
                mentions.append(self._comment(c, node, created))
        return sorted(mentions, key=lambda m: m.published or ""), mark.dump() or cursor

    def reply(self, to_ref: str, text: str, key: str) -> Any:

        data = self._call(
            "POST", f"{to_ref}/{self.reply_edge}", params={"message": text}, idempotent=False
        )
        return Published(data["id"], None, self.name)

    def hide(self, ref: str) -> None:
        data = self._call("POST", ref, params={self.hide_param: "true"}, idempotent=True)
        if not data.get("success", False):
            raise Rejected(self.account_id, f"{self.name} did not hide comment {ref}")
