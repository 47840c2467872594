"""Stateful fakes of network APIs, following their documented requests, answers and errors.

Each fake stores what was published, serves it back (so lookups after a lost
answer can be tested), and answers bad tokens and rate limits the way the
real API does (status, headers and error body).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from portevoix.networks import versions

Reply = tuple[int, Any, dict[str, str]]


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes, match: re.Match[str]):
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.body = body
        self.match = match
        ctype = self.headers.get("content-type", "")
        self.json: Any = None
        self.form: dict[str, str] = {}
        if "json" in ctype and body:
            self.json = json.loads(body)
        elif "x-www-form-urlencoded" in ctype and body:
            self.form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}

    @property
    def params(self) -> dict[str, str]:
        return {**self.query, **self.form}


class FakeApi:
    """A tiny regex-routed HTTP server on loopback."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Callable[[Request], Reply]]] = []
        self.log: list[Request] = []
        self.rate_limited = False
        self.ids = itertools.count(1001)
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def handle_any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                for method, pattern, func in api.routes:
                    m = pattern.fullmatch(path)
                    if m and method == self.command:
                        req = Request(self, body, m)
                        with api.lock:
                            api.log.append(req)
                            status, payload, headers = api.limited() or func(req)
                        break
                else:
                    status, payload, headers = 404, {"error": "not found"}, {}
                data = (
                    payload
                    if isinstance(payload, bytes)
                    else (b"" if payload is None else json.dumps(payload).encode())
                )
                self.send_response(status)
                if payload is not None and not isinstance(payload, bytes):
                    self.send_header("Content-Type", "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def route(
        self, method: str, pattern: str
    ) -> Callable[[Callable[[Request], Reply]], Callable[[Request], Reply]]:
        def add(func: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
            self.routes.append((method, re.compile(pattern), func))
            return func

        return add

    def limited(self) -> Reply | None:
        return None

    def calls(self, method: str, pattern: str) -> list[Request]:
        rx = re.compile(pattern)
        return [r for r in self.log if r.method == method and rx.fullmatch(r.path)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def next_id(self) -> str:
        return str(next(self.ids))


def now_ms() -> int:
    return int(time.time() * 1000)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime())


# ---------------------------------------------------------------------------


class FakeLinkedIn(FakeApi):
    """LinkedIn's versioned REST API (Posts, Images, Social Actions, Organizations)."""

    TOKEN = "li-good"
    ORG = "urn:li:organization:123"

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[dict[str, Any]] = []
        self.comments: dict[str, list[dict[str, Any]]] = {}
        li = self

        def authed(func: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
            def check(req: Request) -> Reply:
                if req.headers.get("authorization") != f"Bearer {li.TOKEN}":
                    return (
                        401,
                        {
                            "status": 401,
                            "serviceErrorCode": 65600,
                            "code": "INVALID_ACCESS_TOKEN",
                            "message": "Invalid access token",
                        },
                        {},
                    )
                version = req.headers.get("linkedin-version", "")
                if version not in versions.RETIRED_ON["linkedin"] or not versions.active(
                    "linkedin", version, datetime.now(UTC).date()
                ):  # LinkedIn answers 426 to a retired or unknown version
                    return (
                        426,
                        {
                            "status": 426,
                            "code": "NONEXISTENT_VERSION",
                            "message": "Requested version is not active",
                        },
                        {},
                    )
                return func(req)

            return check

        @self.route("GET", r"/rest/organizations/(\d+)")
        @authed
        def org(req: Request) -> Reply:
            return 200, {"id": int(req.match.group(1)), "localizedName": "Brand SAS"}, {}

        @self.route("POST", r"/rest/posts")
        @authed
        def create(req: Request) -> Reply:
            body = req.json
            if body.get("author") != li.ORG or body.get("lifecycleState") != "PUBLISHED":
                return 422, {"status": 422, "message": "ERROR :: /author :: invalid"}, {}
            if len(body.get("commentary", "")) > 3000:
                return (
                    422,
                    {"status": 422, "message": "ERROR :: /commentary :: length exceeds 3000"},
                    {},
                )
            urn = f"urn:li:share:{li.next_id()}"
            li.posts.append(
                {
                    "id": urn,
                    "commentary": body["commentary"],
                    "createdAt": now_ms(),
                    "publishedAt": now_ms(),
                    "content": body.get("content"),
                }
            )
            return 201, None, {"x-restli-id": urn}

        @self.route("GET", r"/rest/posts")
        @authed
        def list_posts(req: Request) -> Reply:
            assert req.query.get("q") == "author" and req.query.get("author") == li.ORG
            return (
                200,
                {"elements": list(reversed(li.posts)), "paging": {"count": 10, "start": 0}},
                {},
            )

        @self.route("POST", r"/rest/images")
        @authed
        def init_upload(req: Request) -> Reply:
            image = f"urn:li:image:{li.next_id()}"
            return (
                200,
                {
                    "value": {
                        "uploadUrlExpiresAt": now_ms() + 3600_000,
                        "uploadUrl": f"{li.url}/upload/{image}",
                        "image": image,
                    }
                },
                {},
            )

        @self.route("PUT", r"/upload/(.+)")
        def upload(req: Request) -> Reply:
            return 201, None, {}

        @self.route("GET", r"/rest/socialActions/([^/]+)/comments")
        @authed
        def comments(req: Request) -> Reply:
            return 200, {"elements": li.comments.get(_unquote(req.match.group(1)), [])}, {}

        @self.route("POST", r"/rest/socialActions/([^/]+)/comments")
        @authed
        def comment(req: Request) -> Reply:
            post = _unquote(req.match.group(1))
            cid = li.next_id()
            urn = f"urn:li:comment:({post},{cid})"
            li.comments.setdefault(post, []).append(
                {
                    "id": cid,
                    "$URN": urn,
                    "actor": req.json["actor"],
                    "message": req.json["message"],
                    "created": {"time": now_ms()},
                    "parentComment": req.json.get("parentComment"),
                }
            )
            return 201, None, {"x-restli-id": urn}

        @self.route("GET", r"/rest/socialActions/([^/]+)")
        @authed
        def social(req: Request) -> Reply:
            post = _unquote(req.match.group(1))
            return (
                200,
                {
                    "likesSummary": {"totalLikes": 7},
                    "commentsSummary": {"aggregatedTotalComments": len(li.comments.get(post, []))},
                },
                {},
            )

    def limited(self) -> Reply | None:
        if self.rate_limited:
            return (
                429,
                {
                    "status": 429,
                    "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
                },
                {"Retry-After": "120"},
            )
        return None

    def add_comment(self, post: str, text: str, actor: str = "urn:li:person:abc") -> None:
        cid = self.next_id()
        self.comments.setdefault(post, []).append(
            {
                "id": cid,
                "$URN": f"urn:li:comment:({post},{cid})",
                "actor": actor,
                "message": {"text": text},
                "created": {"time": now_ms()},
            }
        )


def _unquote(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value)


class FakeGraph(FakeApi):
    """Meta's Graph API for one Page (id 111) and its Instagram account (id 222)."""

    TOKEN = "page-good"
    PAGE = "111"
    IG = "222"
    V = versions.DEFAULTS["graph"]

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[dict[str, Any]] = []  # facebook
        self.media: list[dict[str, Any]] = []  # instagram
        self.containers: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.hidden: set[str] = set()
        g = self
        v = r"v\d+\.\d+"  # any version in the path; retired or unknown ones are refused

        def authed(func: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
            def check(req: Request) -> Reply:
                version = req.path.split("/")[1]
                if version not in versions.RETIRED_ON["graph"] or not versions.active(
                    "graph", version, datetime.now(UTC).date()
                ):
                    return (
                        400,
                        {
                            "error": {
                                "message": f"(#2635) You are calling a deprecated version of the "
                                f"Graph API. Please update to the latest version: {g.V}.",
                                "type": "OAuthException",
                                "code": 2635,
                                "fbtrace_id": "AbC",
                            }
                        },
                        {},
                    )
                if req.params.get("access_token") != g.TOKEN:
                    return (
                        400,
                        {
                            "error": {
                                "message": "Error validating access token: Session has expired on Friday, 27-Nov-26 10:00:00 PST.",
                                "type": "OAuthException",
                                "code": 190,
                                "error_subcode": 463,
                                "fbtrace_id": "AbC",
                            }
                        },
                        {},
                    )
                return func(req)

            return check

        @self.route("GET", rf"/{v}/me")
        @authed
        def me(req: Request) -> Reply:
            return 200, {"id": g.PAGE, "name": "Brand"}, {}

        @self.route("POST", rf"/{v}/{self.PAGE}/feed")
        @authed
        def feed(req: Request) -> Reply:
            if not req.params.get("message") and not req.params.get("link"):
                return (
                    400,
                    {
                        "error": {
                            "message": "(#100) Missing message or attachment",
                            "type": "OAuthException",
                            "code": 100,
                        }
                    },
                    {},
                )
            pid = f"{g.PAGE}_{g.next_id()}"
            g.posts.append(
                {
                    "id": pid,
                    "message": req.params.get("message"),
                    "created_time": now_iso(),
                    "permalink_url": f"https://www.facebook.com/{pid}",
                }
            )
            return 200, {"id": pid}, {}

        @self.route("GET", rf"/{v}/{self.PAGE}/posts")
        @authed
        def posts(req: Request) -> Reply:
            return 200, {"data": list(reversed(g.posts))}, {}

        @self.route("GET", rf"/{v}/{self.IG}")
        @authed
        def ig_user(req: Request) -> Reply:
            return 200, {"id": g.IG, "username": "brand"}, {}

        @self.route("POST", rf"/{v}/{self.IG}/media")
        @authed
        def container(req: Request) -> Reply:
            if not (
                req.params.get("image_url")
                or req.params.get("video_url")
                or req.params.get("children")
            ):
                return (
                    400,
                    {
                        "error": {
                            "message": "(#100) The parameter image_url is required",
                            "type": "OAuthException",
                            "code": 100,
                        }
                    },
                    {},
                )
            cid = f"c{g.next_id()}"
            g.containers[cid] = dict(req.params)
            return 200, {"id": cid}, {}

        @self.route("POST", rf"/{v}/{self.IG}/media_publish")
        @authed
        def publish(req: Request) -> Reply:
            c = g.containers.get(req.params.get("creation_id", ""))
            if c is None:
                return 400, {"error": {"message": "(#100) Invalid creation_id", "code": 100}}, {}
            mid = g.next_id()
            g.media.append(
                {
                    "id": mid,
                    "caption": c.get("caption"),
                    "timestamp": now_iso(),
                    "permalink": f"https://www.instagram.com/p/{mid}/",
                }
            )
            return 200, {"id": mid}, {}

        @self.route("GET", rf"/{v}/{self.IG}/media")
        @authed
        def media(req: Request) -> Reply:
            return 200, {"data": list(reversed(g.media))}, {}

        @self.route("GET", rf"/{v}/([^/]+)/comments")
        @authed
        def comments(req: Request) -> Reply:
            return 200, {"data": list(reversed(g.comments.get(req.match.group(1), [])))}, {}

        @self.route("POST", rf"/{v}/([^/]+)/(comments|replies)")
        @authed
        def reply(req: Request) -> Reply:
            cid = g.next_id()
            g.comments.setdefault(req.match.group(1), []).append(
                {
                    "id": cid,
                    "message": req.params.get("message"),
                    "text": req.params.get("message"),
                    "from": {"id": g.PAGE, "name": "Brand"},
                    "created_time": now_iso(),
                }
            )
            return 200, {"id": cid}, {}

        @self.route("POST", rf"/{v}/([^/]+)")
        @authed
        def update(req: Request) -> Reply:
            if req.params.get("is_hidden") == "true" or req.params.get("hide") == "true":
                g.hidden.add(req.match.group(1))
                return 200, {"success": True}, {}
            return 400, {"error": {"message": "(#100) Unsupported post request", "code": 100}}, {}

        @self.route("GET", rf"/{v}/([^/]+)")
        @authed
        def node(req: Request) -> Reply:
            nid = req.match.group(1)
            fields = req.query.get("fields", "")
            if fields == "status_code":
                return 200, {"id": nid, "status_code": "FINISHED"}, {}
            if fields == "permalink":
                return 200, {"id": nid, "permalink": f"https://www.instagram.com/p/{nid}/"}, {}
            if "like_count" in fields:
                return (
                    200,
                    {"id": nid, "like_count": 12, "comments_count": len(g.comments.get(nid, []))},
                    {},
                )
            return (
                200,
                {
                    "id": nid,
                    "shares": {"count": 3},
                    "reactions": {"data": [], "summary": {"total_count": 9}},
                    "comments": {
                        "data": [],
                        "summary": {"total_count": len(g.comments.get(nid, []))},
                    },
                },
                {},
            )

    def limited(self) -> Reply | None:
        if self.rate_limited:
            return (
                400,
                {
                    "error": {
                        "message": "(#4) Application request limit reached",
                        "type": "OAuthException",
                        "is_transient": True,
                        "code": 4,
                        "fbtrace_id": "X",
                    }
                },
                {},
            )
        return None

    def add_comment(self, node: str, text: str, who: str = "Fan") -> str:
        cid = self.next_id()
        self.comments.setdefault(node, []).append(
            {
                "id": cid,
                "message": text,
                "text": text,
                "username": who.lower(),
                "from": {"id": "999", "name": who},
                "created_time": now_iso(),
                "timestamp": now_iso(),
            }
        )
        return cid


class FakeX(FakeApi):
    """X API v2: tweets, mentions, hidden replies, users/me, media upload."""

    TOKEN = "x-good"
    USER = "42"

    def __init__(self) -> None:
        super().__init__()
        self.tweets: list[dict[str, Any]] = []
        self.mentions: list[dict[str, Any]] = []
        self.hidden: set[str] = set()
        x = self

        def authed(func: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
            def check(req: Request) -> Reply:
                if req.headers.get("authorization") != f"Bearer {x.TOKEN}":
                    return (
                        401,
                        {
                            "title": "Unauthorized",
                            "type": "about:blank",
                            "status": 401,
                            "detail": "Unauthorized",
                        },
                        {},
                    )
                return func(req)

            return check

        @self.route("GET", r"/2/users/me")
        @authed
        def me(req: Request) -> Reply:
            return 200, {"data": {"id": x.USER, "name": "Brand", "username": "brand"}}, {}

        @self.route("POST", r"/2/tweets")
        @authed
        def create(req: Request) -> Reply:
            text = req.json["text"]
            if any(t["text"] == text for t in x.tweets):
                return (
                    403,
                    {
                        "detail": "You are not allowed to create a Tweet with duplicate content.",
                        "type": "about:blank",
                        "title": "Forbidden",
                        "status": 403,
                    },
                    {},
                )
            tid = str(1_800_000_000_000_000_000 + int(x.next_id()))
            x.tweets.append(
                {
                    "id": tid,
                    "text": text,
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                    "reply": req.json.get("reply"),
                }
            )
            return 201, {"data": {"id": tid, "text": text, "edit_history_tweet_ids": [tid]}}, {}

        @self.route("GET", rf"/2/users/{self.USER}/tweets")
        @authed
        def timeline(req: Request) -> Reply:
            return (
                200,
                {"data": list(reversed(x.tweets))[:10], "meta": {"result_count": len(x.tweets)}},
                {},
            )

        @self.route("GET", rf"/2/users/{self.USER}/mentions")
        @authed
        def mentions(req: Request) -> Reply:
            since = int(req.query.get("since_id", 0))
            data = [m for m in x.mentions if int(m["id"]) > since]
            if not data:
                return 200, {"meta": {"result_count": 0}}, {}
            users = [{"id": "7", "name": "Fan", "username": "fan"}]
            return (
                200,
                {
                    "data": list(reversed(data)),
                    "includes": {"users": users},
                    "meta": {
                        "newest_id": max(d["id"] for d in data),
                        "oldest_id": min(d["id"] for d in data),
                        "result_count": len(data),
                    },
                },
                {},
            )

        @self.route("PUT", r"/2/tweets/(\d+)/hidden")
        @authed
        def hide(req: Request) -> Reply:
            x.hidden.add(req.match.group(1))
            return 200, {"data": {"hidden": True}}, {}

        @self.route("GET", r"/2/tweets/(\d+)")
        @authed
        def get(req: Request) -> Reply:
            tid = req.match.group(1)
            if not any(t["id"] == tid for t in x.tweets + x.mentions):
                # X answers 200 with only "errors" for a post that is gone.
                return (
                    200,
                    {
                        "errors": [
                            {
                                "value": tid,
                                "detail": f"Could not find tweet with id: [{tid}].",
                                "title": "Not Found Error",
                                "resource_type": "tweet",
                                "parameter": "id",
                                "resource_id": tid,
                                "type": "https://api.twitter.com/2/problems/resource-not-found",
                            }
                        ]
                    },
                    {},
                )
            return (
                200,
                {
                    "data": {
                        "id": tid,
                        "text": "",
                        "public_metrics": {
                            "retweet_count": 2,
                            "reply_count": 1,
                            "like_count": 5,
                            "quote_count": 1,
                            "impression_count": 300,
                        },
                    }
                },
                {},
            )

    def limited(self) -> Reply | None:
        if self.rate_limited:
            return (
                429,
                {
                    "title": "Too Many Requests",
                    "detail": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                },
                {"x-rate-limit-reset": str(int(time.time()) + 900), "x-rate-limit-remaining": "0"},
            )
        return None

    def add_mention(self, text: str) -> str:
        tid = str(1_900_000_000_000_000_000 + int(self.next_id()))
        self.mentions.append(
            {
                "id": tid,
                "text": text,
                "author_id": "7",
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            }
        )
        return tid
