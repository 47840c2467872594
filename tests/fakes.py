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
        self.rate_limited: bool | str = False
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

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

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
        self.followers = 830
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

        @self.route("GET", r"/rest/networkSizes/([^/?]+)")
        @authed
        def network_size(req: Request) -> Reply:
            """Network Sizes: an organisation's followers (the edge type is required)."""
            if _unquote(req.match.group(1)) != li.ORG:
                return 404, {"status": 404, "message": "Not found"}, {}
            if req.query.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
                return 400, {"status": 400, "message": "edgeType is required"}, {}
            return 200, {"firstDegreeSize": li.followers}, {}

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
            poll = (body.get("content") or {}).get("poll")
            if poll is not None:  # Poll API: question <= 140, 2-4 options <= 30, a duration
                options = [o.get("text", "") for o in poll.get("options") or []]
                if (
                    not poll.get("question")
                    or len(poll["question"]) > 140
                    or not 2 <= len(options) <= 4
                    or any(not 1 <= len(o) <= 30 for o in options)
                    or (poll.get("settings") or {}).get("duration")
                    not in ("ONE_DAY", "THREE_DAYS", "SEVEN_DAYS", "FOURTEEN_DAYS")
                ):
                    return 422, {"status": 422, "message": "ERROR :: /content/poll"}, {}
                poll = {**poll, "options": [{"text": o, "voteCount": 0} for o in options]}
                body["content"] = {"poll": {**poll, "uniqueVotersCount": 0}}
            urn = f"urn:li:share:{li.next_id()}"
            li.posts.append(
                {
                    "id": urn,
                    "commentary": body["commentary"],
                    "shown": little_shown(body["commentary"]),
                    "createdAt": now_ms(),
                    "publishedAt": now_ms(),
                    "content": body.get("content"),
                }
            )
            return 201, None, {"x-restli-id": urn}

        @self.route("GET", r"/rest/posts/([^/]+)")
        @authed
        def one_post(req: Request) -> Reply:
            urn = _unquote(req.match.group(1))
            post = next((p for p in li.posts if p["id"] == urn), None)
            if post is None:
                return 404, {"status": 404, "message": "Not found"}, {}
            return 200, {"author": li.ORG, **post}, {}

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


_LITTLE_RESERVED = set("|{}@[]()<>#\\*_~")
_LITTLE_ELEMENT = re.compile(
    r"#[^\W_]+"  # hashtag
    r"|@\[[^\]]*\]\(urn:li:(?:person|organization):\w+\)"  # mention
    r"|\{hashtag\|\\#\|[^}]+\}"  # hashtag template
)


def little_shown(commentary: str) -> str:
    """What LinkedIn shows of a little-text commentary: escapes read, cut at the first
    reserved character that is neither escaped nor part of an element."""
    out, i = [], 0
    while i < len(commentary):
        ch = commentary[i]
        if ch == "\\" and i + 1 < len(commentary):
            out.append(commentary[i + 1])
            i += 2
            continue
        if ch in _LITTLE_RESERVED:
            element = _LITTLE_ELEMENT.match(commentary, i)
            if element is None:
                break
            out.append(element[0])
            i = element.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


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
        self.processing_polls = 2  # status reads before a video container is FINISHED
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.hidden: set[str] = set()
        self.messages: list[dict[str, Any]] = []  # sent through the Send API
        self.followers = {self.PAGE: 1520, self.IG: 3400}
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

        @self.route("POST", rf"/{v}/me/messages")
        @authed
        def send(req: Request) -> Reply:
            """The Send API: recipient and message are JSON strings; RESPONSE within 24 h."""
            p = req.params
            try:
                recipient = json.loads(p.get("recipient", ""))["id"]
                text = json.loads(p.get("message", ""))["text"]
            except (ValueError, KeyError, TypeError):
                return 400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}, {}
            if p.get("messaging_type") != "RESPONSE":
                return 400, {"error": {"message": "(#100) messaging_type", "code": 100}}, {}
            mid = f"m_{g.next_id()}"
            g.messages.append({"recipient": recipient, "text": text, "mid": mid})
            return 200, {"recipient_id": recipient, "message_id": mid}, {}

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
            if "followers_count" in req.query.get("fields", ""):
                counts = {"followers_count": g.followers[g.IG], "follows_count": 75}
                return 200, {"id": g.IG, **counts, "media_count": len(g.media)}, {}
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
            params = dict(req.params)
            if re.search(r"\.(mp4|mov)(\?|$)", params.get("image_url", ""), re.I):
                return g.error(9004, "Only photo or video can be accepted as media type.", 2207052)
            for child in filter(None, params.get("children", "").split(",")):
                if g.containers.get(child, {}).get("status") != "FINISHED":
                    return g.not_ready()
            cid = f"c{g.next_id()}"
            video = "video_url" in params
            params["status"] = "IN_PROGRESS" if video and g.processing_polls else "FINISHED"
            params["polls"] = 0
            g.containers[cid] = params
            return 200, {"id": cid}, {}

        @self.route("POST", rf"/{v}/{self.IG}/media_publish")
        @authed
        def publish(req: Request) -> Reply:
            c = g.containers.get(req.params.get("creation_id", ""))
            if c is None:
                return 400, {"error": {"message": "(#100) Invalid creation_id", "code": 100}}, {}
            if c["status"] != "FINISHED":
                return g.not_ready()
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
            # "/{object-id}/comments" (developers.facebook.com/docs/graph-api/reference/
            # object/comments): top-level comments in chronological order unless
            # filter=stream (every comment, with its parent) or order says otherwise;
            # cursor paging, 25 a page unless limit says otherwise.
            stream = req.query.get("filter") == "stream"
            found = [c for c in g.comments.get(req.match.group(1), []) if stream or not c["parent"]]
            if req.query.get("order", "chronological") == "reverse_chronological":
                found.reverse()
            start = int(req.query.get("after") or 0)
            limit = min(int(req.query.get("limit") or 25), 100)
            page = [
                {k: v for k, v in c.items() if k != "parent" or (stream and v)}
                for c in found[start : start + limit]
            ]
            paging: dict[str, Any] = {
                "cursors": {"before": str(start), "after": str(start + len(page))}
            }
            if start + limit < len(found):
                paging["next"] = f"{g.url}{req.path}?after={start + limit}"
            return 200, {"data": page, "paging": paging}, {}

        @self.route("POST", rf"/{v}/([^/]+)/(comments|replies)")
        @authed
        def reply(req: Request) -> Reply:
            target = req.match.group(1)
            node, parent = g.node_of(target), None
            if node != target:  # a reply to a comment: stored with its post, under its parent
                parent = {"id": target}
            return (
                200,
                {"id": g.add_comment(node, req.params.get("message", ""), parent=parent, own=True)},
                {},
            )

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
                c = g.containers[nid]
                c["polls"] += 1
                if c["status"] == "IN_PROGRESS" and c["polls"] > g.processing_polls:
                    c["status"] = "FINISHED"
                return 200, {"id": nid, "status_code": c["status"]}, {}
            if fields == "permalink":
                return 200, {"id": nid, "permalink": f"https://www.instagram.com/p/{nid}/"}, {}
            if "followers_count" in fields and nid == g.PAGE:  # Page fields
                return 200, {"id": nid, "followers_count": g.followers[nid], "fan_count": 1490}, {}
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
        """``rate_limited``: True for the app's hourly limit, "page" for the Page's own
        (business use case) limit with Meta's estimate of the wait, in minutes."""
        if self.rate_limited == "page":
            usage = {
                self.PAGE: [
                    {
                        "type": "pages",
                        "call_count": 100,
                        "total_cputime": 40,
                        "total_time": 35,
                        "estimated_time_to_regain_access": 7,
                    }
                ]
            }
            return (
                400,
                {
                    "error": {
                        "message": "(#80001) There have been too many calls to this Page account.",
                        "type": "OAuthException",
                        "code": 80001,
                        "fbtrace_id": "X",
                    }
                },
                {"X-Business-Use-Case-Usage": json.dumps(usage)},
            )
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
                {
                    "X-App-Usage": json.dumps(
                        {"call_count": 100, "total_cputime": 20, "total_time": 25}
                    )
                },
            )
        return None

    def error(self, code: int, message: str, subcode: int | None = None) -> Reply:
        error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
        if subcode:
            error["error_subcode"] = subcode
        return 400, {"error": {**error, "fbtrace_id": "AbC"}}, {}

    def not_ready(self) -> Reply:
        # "Content Publishing" error codes: a container still being processed.
        return self.error(9007, "Media ID is not available", 2207027)

    def node_of(self, object_id: str) -> str:
        """The post or media a comment belongs to (an unknown id is taken as a node)."""
        for node, comments in self.comments.items():
            if any(c["id"] == object_id for c in comments):
                return node
        return object_id

    def add_comment(
        self,
        node: str,
        text: str,
        who: str = "Fan",
        *,
        parent: dict[str, str] | None = None,
        own: bool = False,
    ) -> str:
        cid = self.next_id()
        author = {"id": self.PAGE, "name": "Brand"} if own else {"id": "999", "name": who}
        self.comments.setdefault(node, []).append(
            {
                "id": cid,
                "message": text,
                "text": text,
                "username": author["name"].lower(),
                "from": author,
                "created_time": now_iso(),
                "timestamp": now_iso(),
                "parent": parent,
            }
        )
        return cid


class FakeX(FakeApi):
    """X API v2: tweets, mentions, hidden replies, users/me, media upload, OAuth 2.0 tokens.

    Tokens carry scopes and an expiry; each endpoint requires the scopes its reference
    names and answers a bare 403 "Forbidden" without them. Refresh tokens rotate: one use.
    """

    TOKEN = "x-good"
    USER = "42"
    CLIENT_ID = "client-abc"
    # Written from X's docs, not imported from the client: a fake that shares the
    # client's reading cannot catch its misreading.
    ALL_SCOPES = (
        "tweet.read",
        "tweet.write",
        "users.read",
        "offline.access",
        "media.write",
        "tweet.moderate.write",
    )

    def __init__(self) -> None:
        super().__init__()
        self.tweets: list[dict[str, Any]] = []
        self.followers = 4200
        self.mentions: list[dict[str, Any]] = []
        self.hidden: set[str] = set()
        self.media_ids: list[str] = []
        # access token -> (scopes, expiry epoch or None); refresh token -> scopes
        self.tokens: dict[str, tuple[set[str], float | None]] = {
            self.TOKEN: (set(self.ALL_SCOPES), None)
        }
        self.refresh_tokens: dict[str, set[str]] = {}
        self.refreshed = 0
        x = self

        def authed(
            *scopes: str,
        ) -> Callable[[Callable[[Request], Reply]], Callable[[Request], Reply]]:
            def wrap(func: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
                def check(req: Request) -> Reply:
                    token = req.headers.get("authorization", "").removeprefix("Bearer ")
                    granted, expiry = x.tokens.get(token, (set(), 0.0))
                    if expiry is not None and expiry < time.time():
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
                    if not set(scopes) <= granted:
                        return (
                            403,
                            {
                                "title": "Forbidden",
                                "type": "about:blank",
                                "status": 403,
                                "detail": "Forbidden",
                            },
                            {},
                        )
                    return func(req)

                return check

            return wrap

        @self.route("POST", r"/2/oauth2/token")
        def token(req: Request) -> Reply:
            form = req.form
            old = form.get("refresh_token", "")
            if (
                form.get("grant_type") != "refresh_token"
                or form.get("client_id") != x.CLIENT_ID
                or old not in x.refresh_tokens
            ):
                return (
                    400,
                    {
                        "error": "invalid_request",
                        "error_description": "Value passed for the token was invalid.",
                    },
                    {},
                )
            scopes = x.refresh_tokens.pop(old)  # rotated: a refresh token is used once
            x.refreshed += 1
            issued = x.issue(scopes)
            return (
                200,
                {
                    "token_type": "bearer",
                    "expires_in": 7200,
                    "access_token": issued["access_token"],
                    "scope": " ".join(sorted(scopes)),
                    "refresh_token": issued["refresh_token"],
                },
                {},
            )

        @self.route("POST", r"/2/media/upload")
        @authed("media.write")
        def upload(req: Request) -> Reply:
            mid = str(1_700_000_000_000_000_000 + int(x.next_id()))
            x.media_ids.append(mid)
            return 200, {"data": {"id": mid, "media_key": f"3_{mid}"}}, {}

        @self.route("POST", r"/2/media/metadata")
        @authed("media.write")
        def metadata(req: Request) -> Reply:
            return 200, {"data": {"associated_metadata": True, "id": req.json["id"]}}, {}

        @self.route("GET", r"/2/users/me")
        @authed("tweet.read", "users.read")
        def me(req: Request) -> Reply:
            data = {"id": x.USER, "name": "Brand", "username": "brand"}
            if "public_metrics" in req.query.get("user.fields", ""):
                data["public_metrics"] = {
                    "followers_count": x.followers,
                    "following_count": 210,
                    "tweet_count": len(x.tweets),
                    "listed_count": 3,
                    "like_count": 0,
                    "media_count": 0,
                }
            return 200, {"data": data}, {}

        @self.route("POST", r"/2/tweets")
        @authed("tweet.read", "tweet.write", "users.read")
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
            poll = req.json.get("poll")
            if poll is not None:  # 2-4 options of 1-25 characters, 5 to 10,080 minutes
                options = poll.get("options") or []
                minutes = poll.get("duration_minutes")
                if (
                    not 2 <= len(options) <= 4
                    or any(not 1 <= len(o) <= 25 for o in options)
                    or not isinstance(minutes, int)
                    or not 5 <= minutes <= 10080
                    or req.json.get("media")
                ):
                    return 400, {"title": "Invalid Request", "detail": "poll", "status": 400}, {}
            tid = str(1_800_000_000_000_000_000 + int(x.next_id()))
            x.tweets.append(
                {
                    "id": tid,
                    "text": text,
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                    "reply": req.json.get("reply"),
                    "poll": {
                        "id": str(int(tid) + 7),
                        "options": [
                            {"position": i + 1, "label": o, "votes": 0}
                            for i, o in enumerate(poll["options"])
                        ],
                        "duration_minutes": poll["duration_minutes"],
                        "voting_status": "open",
                    }
                    if poll
                    else None,
                }
            )
            return 201, {"data": {"id": tid, "text": text, "edit_history_tweet_ids": [tid]}}, {}

        @self.route("GET", rf"/2/users/{self.USER}/tweets")
        @authed("tweet.read", "users.read")
        def timeline(req: Request) -> Reply:
            return (
                200,
                {"data": list(reversed(x.tweets))[:10], "meta": {"result_count": len(x.tweets)}},
                {},
            )

        @self.route("GET", rf"/2/users/{self.USER}/mentions")
        @authed("tweet.read", "users.read")
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
        @authed("tweet.read", "users.read", "tweet.moderate.write")
        def hide(req: Request) -> Reply:
            x.hidden.add(req.match.group(1))
            return 200, {"data": {"hidden": True}}, {}

        @self.route("GET", r"/2/tweets/(\d+)")
        @authed("tweet.read", "users.read")
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
            tweet = next((t for t in x.tweets if t["id"] == tid), {})
            if tweet.get("poll") and "attachments.poll_ids" in req.query.get("expansions", ""):
                poll = tweet["poll"]
                return (
                    200,
                    {
                        "data": {
                            "id": tid,
                            "text": tweet["text"],
                            "attachments": {"poll_ids": [poll["id"]]},
                        },
                        "includes": {"polls": [poll]},
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

    def issue(
        self, scopes: Any = ALL_SCOPES, *, expired: bool = False, refresh: bool = True
    ) -> dict[str, Any]:
        """A new token pair, as the secret JSON an account stores after connecting."""
        access = f"x-at-{self.next_id()}"
        expiry = time.time() + (-60 if expired else 7200)
        self.tokens[access] = (set(scopes), expiry)
        data: dict[str, Any] = {
            "access_token": access,
            "expires_at": datetime.fromtimestamp(expiry, UTC).isoformat(),
            "scope": " ".join(sorted(scopes)),
            "client_id": self.CLIENT_ID,
        }
        if refresh and "offline.access" in scopes:
            data["refresh_token"] = f"x-rt-{self.next_id()}"
            self.refresh_tokens[data["refresh_token"]] = set(scopes)
        return data

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


class FakeReddit(FakeApi):
    """Reddit's Data API: app-only OAuth tokens, then search on the OAuth host.

    As Reddit's API rules say: a request without a bearer token, or with a User-Agent
    not of the form ``<platform>:<app ID>:<version> (by /u/<user>)``, is refused.
    """

    CLIENT_ID = "rd-client"
    CLIENT_SECRET = "rd-secret"
    AGENT = re.compile(r"^[^:\s]+:[^:\s]+:[^:\s]+ \(by /u/[A-Za-z0-9_-]{3,20}\)$")

    def __init__(self) -> None:
        super().__init__()
        self.listings: dict[str, list[dict[str, Any]]] = {}
        self.tokens: set[str] = set()
        rd = self

        @self.route("POST", r"/api/v1/access_token")
        def token(req: Request) -> Reply:
            import base64

            expected = base64.b64encode(f"{rd.CLIENT_ID}:{rd.CLIENT_SECRET}".encode()).decode()
            if req.headers.get("authorization") != f"Basic {expected}":
                return 401, {"message": "Unauthorized", "error": 401}, {}
            if req.form.get("grant_type") != "client_credentials":
                return 200, {"error": "unsupported_grant_type"}, {}
            access = f"rd-at-{rd.next_id()}"
            rd.tokens.add(access)
            return (
                200,
                {"access_token": access, "token_type": "bearer", "expires_in": 86400, "scope": "*"},
                {},
            )

        @self.route("GET", r"(?:/r/(\w+))?/search")
        def search(req: Request) -> Reply:
            if not rd.AGENT.match(req.headers.get("user-agent", "")):
                return 429, {"message": "Too Many Requests", "error": 429}, {"Retry-After": "600"}
            bearer = req.headers.get("authorization", "")
            if bearer.split(" ", 1)[-1] not in rd.tokens:
                return 401, {"message": "Unauthorized", "error": 401}, {}
            sub = req.match.group(1)
            if sub and req.query.get("restrict_sr") != "1":
                return 400, {"message": "restrict_sr is needed to search one subreddit"}, {}
            found = rd.listings.get(sub or "", [])
            if req.query.get("sort") == "new":
                found = sorted(found, key=lambda c: -c["data"]["created_utc"])
            children = found[: int(req.query.get("limit") or 25)]
            return 200, {"kind": "Listing", "data": {"after": None, "children": children}}, {}

    def add_post(self, name: str, created: float, sub: str) -> None:
        post = {
            "kind": "t3",
            "data": {
                "name": name,
                "id": name[3:],
                "title": f"Avis sur Porte-voix ({name})",
                "selftext": "",
                "author": "u1",
                "permalink": f"/r/{sub}/comments/{name[3:]}/x/",
                "created_utc": created,
                "subreddit": sub,
                "score": 3,
            },
        }
        self.listings.setdefault(sub, []).append(post)
        self.listings.setdefault("", []).append(post)


# --------------------------------------------------------------------------
# OAuth 2.0 authorization code, as the networks document it


class OAuthDoor:
    """A network's consent page and code exchange, on a fake's server.

    - ``GET authorize``: checks ``client_id``, ``response_type=code``, the
      registered ``redirect_uri`` and (when ``pkce``) an S256 ``code_challenge``,
      then "consents" by redirecting (302) back with ``code`` and ``state``, or
      with ``error=access_denied`` when ``deny`` is set (the member said no);
    - ``token``: a code is single-use, bound to its redirect URI, and with PKCE
      answers only to the verifier whose S256 hash was the challenge; a
      confidential client proves itself with its secret (form, query or Basic).
    """

    def __init__(
        self,
        api: FakeApi,
        *,
        authorize: str,
        token: str,
        client_id: str,
        client_secret: str,
        pkce: bool,
        grant: Callable[[list[str]], dict[str, Any]],
        token_method: str = "POST",
        denied: dict[str, str] | None = None,
    ):
        self.client_id, self.client_secret, self.pkce = client_id, client_secret, pkce
        self.redirect_uris: set[str] = set()
        self.codes: dict[str, dict[str, Any]] = {}
        self.deny = False
        self.exchanged = 0
        door = self
        denial = denied or {"error": "access_denied", "error_description": "The user denied"}

        def consent(req: Request) -> Reply:
            from urllib.parse import urlencode

            q = req.query
            if q.get("client_id") != door.client_id or q.get("response_type") != "code":
                return 400, {"error": "invalid_request"}, {}
            if q.get("redirect_uri") not in door.redirect_uris:
                return 400, {"error": "invalid_request", "error_description": "redirect_uri"}, {}
            if door.pkce and (
                q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) < 43
            ):
                return 400, {"error": "invalid_request", "error_description": "PKCE S256"}, {}
            if door.deny:
                answer = {**denial, "state": q.get("state", "")}
            else:
                code = f"code-{api.next_id()}"
                door.codes[code] = {
                    "redirect_uri": q["redirect_uri"],
                    "challenge": q.get("code_challenge"),
                    "scopes": re.split(r"[ ,]+", q.get("scope", "")),
                }
                answer = {"code": code, "state": q.get("state", "")}
            return 302, None, {"Location": q["redirect_uri"] + "?" + urlencode(answer)}

        def exchange(req: Request) -> Reply:
            import base64
            import hashlib

            p = req.params
            if p.get("grant_type", "authorization_code") != "authorization_code" or not p.get(
                "code"
            ):
                return door.fallback(req)
            basic = req.headers.get("authorization", "")
            if basic.startswith("Basic "):
                cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            else:
                cid, secret = p.get("client_id", ""), p.get("client_secret", "")
            if cid != door.client_id or (door.client_secret and secret != door.client_secret):
                return 401, {"error": "invalid_client"}, {}
            found = door.codes.pop(p["code"], None)
            if found is None or found["redirect_uri"] != p.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "bad code"}, {}
            if door.pkce:
                digest = hashlib.sha256(p.get("code_verifier", "").encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != found["challenge"]:
                    return 400, {"error": "invalid_grant", "error_description": "PKCE"}, {}
            door.exchanged += 1
            return 200, grant(found["scopes"]), {}

        # The fake's own handler of the token address (refresh, exchange) answers the rest.
        earlier = [f for m, rx, f in api.routes if m == token_method and rx.pattern == token]
        self.fallback: Callable[[Request], Reply] = (
            earlier[0] if earlier else (lambda req: (400, {"error": "unsupported_grant_type"}, {}))
        )
        api.routes.insert(0, ("GET", re.compile(authorize), consent))
        api.routes.insert(0, (token_method, re.compile(token), exchange))


def x_oauth(x: FakeX, redirect_uri: str) -> OAuthDoor:
    """X's OAuth 2.0 with PKCE (a public client: no secret)."""

    def grant(scopes: list[str]) -> dict[str, Any]:
        issued = x.issue([s for s in scopes if s])
        answer = {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": issued["access_token"],
            "scope": issued["scope"],
        }
        if issued.get("refresh_token"):
            answer["refresh_token"] = issued["refresh_token"]
        return answer

    door = OAuthDoor(
        x,
        authorize=r"/i/oauth2/authorize",
        token=r"/2/oauth2/token",
        client_id=x.CLIENT_ID,
        client_secret="",
        pkce=True,
        grant=grant,
    )
    door.redirect_uris.add(redirect_uri)
    return door


def linkedin_oauth(li: FakeLinkedIn, redirect_uri: str) -> OAuthDoor:
    """LinkedIn's 3-legged flow (confidential client) and the organisations one administers."""
    li.admin_of = [li.ORG, "urn:li:organization:456"]
    li.refresh_tokens = {"li-refresh"}
    li.refreshed = 0

    @li.route("POST", r"/oauth/v2/accessToken")
    def refresh(req: Request) -> Reply:
        """grant_type=refresh_token with the client's id and secret (a new access token)."""
        p = req.form
        if (
            p.get("grant_type") != "refresh_token"
            or p.get("client_id") != "li-client"
            or p.get("client_secret") != "li-secret"
            or p.get("refresh_token") not in li.refresh_tokens
        ):
            return (
                400,
                {
                    "error": "invalid_request",
                    "error_description": "The provided authorization grant or refresh token "
                    "is invalid, expired or revoked",
                },
                {},
            )
        li.refreshed += 1
        li.TOKEN = f"li-renewed-{li.next_id()}"  # the old access token stops working
        return (
            200,
            {
                "access_token": li.TOKEN,
                "expires_in": 5_184_000,
                "refresh_token": p["refresh_token"],
                "refresh_token_expires_in": 30_000_000,
            },
            {},
        )

    def grant(scopes: list[str]) -> dict[str, Any]:
        return {
            "access_token": li.TOKEN,
            "expires_in": 5_184_000,
            "refresh_token": "li-refresh",
            "refresh_token_expires_in": 31_536_000,
            "scope": ",".join(scopes),
        }

    @li.route("GET", r"/rest/organizationAcls")
    def acls(req: Request) -> Reply:
        if req.headers.get("authorization") != f"Bearer {li.TOKEN}":
            return 401, {"status": 401, "code": "INVALID_ACCESS_TOKEN"}, {}
        if req.query.get("q") != "roleAssignee" or not req.headers.get("linkedin-version"):
            return 400, {"status": 400, "message": "q=roleAssignee and LinkedIn-Version"}, {}
        return (
            200,
            {
                "elements": [
                    {
                        "roleAssignee": "urn:li:person:abc",
                        "state": "APPROVED",
                        "role": "ADMINISTRATOR",
                        "organization": org,
                    }
                    for org in li.admin_of
                ]
            },
            {},
        )

    door = OAuthDoor(
        li,
        authorize=r"/oauth/v2/authorization",
        token=r"/oauth/v2/accessToken",
        client_id="li-client",
        client_secret="li-secret",
        pkce=False,
        grant=grant,
        denied={
            "error": "user_cancelled_authorize",
            "error_description": "The user cancelled the authorization",
        },
    )
    door.redirect_uris.add(redirect_uri)
    return door


def meta_oauth(g: FakeGraph, redirect_uri: str) -> OAuthDoor:
    """Facebook Login's manual flow: code, then the long-lived exchange, then /me/accounts."""
    v = r"v\d+\.\d+"
    g.user_tokens = {"short": "meta-short-user", "long": "meta-long-user"}

    def grant(scopes: list[str]) -> dict[str, Any]:
        return {"access_token": g.user_tokens["short"], "token_type": "bearer", "expires_in": 5183}

    def long_lived(req: Request) -> Reply:
        p = req.params
        if (
            p.get("grant_type") != "fb_exchange_token"
            or p.get("client_id") != "meta-app"
            or p.get("client_secret") != "meta-secret"
            or p.get("fb_exchange_token") != g.user_tokens["short"]
        ):
            return 400, {"error": {"message": "Invalid OAuth access token.", "code": 190}}, {}
        return (
            200,
            {"access_token": g.user_tokens["long"], "token_type": "bearer", "expires_in": 5183944},
            {},
        )

    g.route("GET", rf"/{v}/oauth/access_token")(long_lived)

    @g.route("GET", rf"/{v}/me/accounts")
    def pages(req: Request) -> Reply:
        if req.query.get("access_token") != g.user_tokens["long"]:
            return 400, {"error": {"message": "Invalid OAuth access token.", "code": 190}}, {}
        return (
            200,
            {
                "data": [
                    {
                        "id": g.PAGE,
                        "name": "Brand",
                        "access_token": g.TOKEN,
                        "instagram_business_account": {"id": g.IG, "username": "brand"},
                    },
                    {"id": "333", "name": "Brand Jobs", "access_token": "page-other"},
                ],
                "paging": {"cursors": {"before": "a", "after": "b"}},
            },
            {},
        )

    door = OAuthDoor(
        g,
        authorize=rf"/{v}/dialog/oauth",
        token=rf"/{v}/oauth/access_token",
        client_id="meta-app",
        client_secret="meta-secret",
        pkce=False,
        grant=grant,
        token_method="GET",
        denied={
            "error": "access_denied",
            "error_code": "200",
            "error_description": "Permissions error",
            "error_reason": "user_denied",
        },
    )
    door.redirect_uris.add(redirect_uri)
    return door


# ---------------------------------------------------------------------------
# Paid boosts: Meta's Marketing API and LinkedIn's Advertising API.

EU = {"FR", "BE", "DE", "ES", "IT", "NL", "LU", "PT", "IE", "AT", "PL", "SE", "DK", "FI"}


class FakeMetaAds(FakeApi):
    """The Marketing API for one ad account: campaigns, ad sets, creatives, ads, insights.

    It refuses what Meta refuses: a campaign without ``special_ad_categories``, or
    without a budget and without ``is_adset_budget_sharing_enabled``; an ad set whose
    lifetime budget has no ``end_time``, or that targets the EU without the DSA's
    beneficiary and payor; the ``instagram_actor_id`` retired in v22 for Instagram
    creatives; an ad on an unknown ad set or creative.
    """

    TOKEN = "ads-good"
    ACT = "act_777"
    AUDIENCE = "2385"
    CURRENCY = "EUR"

    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[str, dict[str, Any]] = {}  # id -> {kind, ...}
        self.audiences = {
            self.AUDIENCE: {
                "name": "Fans FR",
                "targeting": {"geo_locations": {"countries": ["FR"]}, "age_min": 18},
            }
        }
        self.stories: set[str] = set()  # Page posts that exist (object_story_id)
        self.media: set[str] = set()  # Instagram media that exist
        # campaign -> {"days": {day: (spend, impressions, clicks)}, "reach": n}
        self.figures: dict[str, dict[str, Any]] = {}
        self.search_lag = 0  # the next N campaign searches do not see anything yet
        m = self
        v = r"v\d+\.\d+"

        def authed(func: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
            def check(req: Request) -> Reply:
                if req.params.get("access_token") != m.TOKEN:
                    return m.error(190, "Error validating access token: Session has expired.", 463)
                return func(req)

            return check

        def of(kind: str) -> list[tuple[str, dict[str, Any]]]:
            return [(k, o) for k, o in m.objects.items() if o["kind"] == kind]

        @self.route("GET", rf"/{v}/act_(\d+)")
        @authed
        def account(req: Request) -> Reply:
            return (
                200,
                {"id": m.ACT, "currency": m.CURRENCY, "account_status": 1, "name": "Ads"},
                {},
            )

        @self.route("POST", rf"/{v}/act_(\d+)/campaigns")
        @authed
        def campaign(req: Request) -> Reply:
            p = req.form
            if "special_ad_categories" not in p:
                return m.error(100, "Invalid parameter: special_ad_categories is required")
            budget = p.get("daily_budget") or p.get("lifetime_budget")
            if not budget and p.get("is_adset_budget_sharing_enabled") not in ("true", "false"):
                return m.error(
                    100,
                    "Invalid parameter: Must specify True or False in "
                    "is_adset_budget_sharing_enabled field",
                    4834011,
                )
            if not p.get("objective", "").startswith("OUTCOME_"):
                return m.error(100, "Invalid parameter: objective")
            cid = m.next_id()
            m.objects[cid] = {"kind": "campaign", "name": p["name"], "status": p.get("status")}
            return 200, {"id": cid}, {}

        @self.route("GET", rf"/{v}/act_(\d+)/campaigns")
        @authed
        def campaigns(req: Request) -> Reply:
            rules = json.loads(req.query.get("filtering") or "[]")
            rows = [{"id": k, "name": o["name"]} for k, o in of("campaign")]
            if m.search_lag > 0:  # a read right after a write may not see it yet
                m.search_lag -= 1
                rows = []
            for r in rules:
                if r["field"] == "name" and r["operator"] == "EQUAL":
                    rows = [x for x in rows if x["name"] == r["value"]]
            return 200, {"data": rows, "paging": {"cursors": {}}}, {}

        @self.route("POST", rf"/{v}/act_(\d+)/adsets")
        @authed
        def adset(req: Request) -> Reply:
            p = req.form
            if m.objects.get(p.get("campaign_id", ""), {}).get("kind") != "campaign":
                return m.error(100, "Invalid parameter: campaign_id", 1487)
            if p.get("lifetime_budget") and not p.get("end_time"):
                return m.error(100, "Invalid parameter: end_time is required", 1487075)
            if not str(p.get("lifetime_budget") or p.get("daily_budget") or "").isdigit():
                return m.error(100, "Invalid parameter: budget must be an integer (minor units)")
            targeting = json.loads(p.get("targeting") or "{}")
            countries = set((targeting.get("geo_locations") or {}).get("countries") or [])
            if countries & EU and not (p.get("dsa_beneficiary") and p.get("dsa_payor")):
                return m.error(
                    100, "Invalid parameter: dsa_beneficiary and dsa_payor are required", 3858081
                )
            aid = m.next_id()
            m.objects[aid] = {"kind": "adset", "name": p["name"], "campaign": p["campaign_id"], **p}
            return 200, {"id": aid}, {}

        @self.route("POST", rf"/{v}/act_(\d+)/adcreatives")
        @authed
        def creative(req: Request) -> Reply:
            p = req.form
            if "instagram_actor_id" in p:
                return m.error(
                    100, "(#100) instagram_actor_id is deprecated: use instagram_user_id", 3858258
                )
            if p.get("object_story_id"):
                if p["object_story_id"] not in m.stories:
                    return m.error(100, "Invalid parameter: object_story_id", 1487472)
            elif p.get("source_instagram_media_id"):
                if p["source_instagram_media_id"] not in m.media or not p.get("instagram_user_id"):
                    return m.error(100, "Invalid parameter: source_instagram_media_id")
            else:
                return m.error(100, "Invalid parameter: the creative has no content")
            cid = m.next_id()
            m.objects[cid] = {"kind": "creative", "name": p.get("name", ""), **p}
            return 200, {"id": cid}, {}

        @self.route("POST", rf"/{v}/act_(\d+)/ads")
        @authed
        def ad(req: Request) -> Reply:
            p = req.form
            creative_id = json.loads(p.get("creative") or "{}").get("creative_id", "")
            if m.objects.get(p.get("adset_id", ""), {}).get("kind") != "adset":
                return m.error(100, "Invalid parameter: adset_id")
            if m.objects.get(creative_id, {}).get("kind") != "creative":
                return m.error(100, "Invalid parameter: creative")
            aid = m.next_id()
            m.objects[aid] = {"kind": "ad", "name": p["name"], "adset": p["adset_id"]}
            return 200, {"id": aid}, {}

        @self.route("GET", rf"/{v}/(\d+)/(adsets|ads)")
        @authed
        def children(req: Request) -> Reply:
            parent, edge = req.match.group(1), req.match.group(2)
            up = "campaign" if edge == "adsets" else "adset"
            rows = [{"id": k, "name": o["name"]} for k, o in of(edge[:-1]) if o.get(up) == parent]
            return 200, {"data": rows}, {}

        @self.route("GET", rf"/{v}/(\d+)/insights")
        @authed
        def insights(req: Request) -> Reply:
            fig = m.figures.get(req.match.group(1)) or {"days": {}, "reach": 0}
            days = sorted(fig["days"].items())
            if req.query.get("time_increment") == "1":
                r = json.loads(req.query["time_range"])
                rows = [
                    {
                        "spend": f"{s:.2f}",
                        "impressions": str(i),
                        "clicks": str(c),
                        "date_start": d,
                        "date_stop": d,
                    }
                    for d, (s, i, c) in days
                    if r["since"] <= d <= r["until"]
                ]
                return 200, {"data": rows, "paging": {"cursors": {}}}, {}
            if not days:
                return 200, {"data": []}, {}
            return (
                200,
                {
                    "data": [
                        {
                            "spend": f"{sum(s for _, (s, _, _) in days):.2f}",
                            "reach": str(fig["reach"]),
                            "impressions": str(sum(i for _, (_, i, _) in days)),
                            "clicks": str(sum(c for _, (_, _, c) in days)),
                        }
                    ]
                },
                {},
            )

        @self.route("GET", rf"/{v}/(\d+)")
        @authed
        def node(req: Request) -> Reply:
            nid = req.match.group(1)
            if nid in m.audiences:
                return 200, {"id": nid, **m.audiences[nid]}, {}
            if nid in m.objects:
                return 200, {"id": nid, **m.objects[nid]}, {}
            return m.error(100, "Unsupported get request", 33)

        @self.route("POST", rf"/{v}/(\d+)")
        @authed
        def update(req: Request) -> Reply:
            nid = req.match.group(1)
            if nid not in m.objects:
                return m.error(100, "Unsupported post request", 33)
            m.objects[nid]["status"] = req.form.get("status", m.objects[nid].get("status"))
            return 200, {"success": True}, {}

    def error(self, code: int, message: str, subcode: int | None = None) -> Reply:
        error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
        if subcode:
            error["error_subcode"] = subcode
        return 400, {"error": {**error, "fbtrace_id": "AdS"}}, {}

    def count(self, kind: str) -> int:
        return sum(1 for o in self.objects.values() if o["kind"] == kind)

    def running(self) -> list[str]:
        """Campaigns that spend: active, with an active ad set and ad under them."""
        return [
            k
            for k, o in self.objects.items()
            if o["kind"] == "campaign" and o.get("status") == "ACTIVE"
        ]


def linkedin_ads(li: FakeLinkedIn, account: str = "5001") -> dict[str, Any]:
    """LinkedIn's Advertising API on the fake: campaigns (created 201 with x-restli-id,
    found by name), creatives referencing an organisation post, PARTIAL_UPDATE, analytics."""
    state: dict[str, Any] = {"campaigns": {}, "creatives": {}, "figures": {}}
    root = rf"/rest/adAccounts/{account}"

    def authed(func: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
        def check(req: Request) -> Reply:
            if req.headers.get("authorization") != f"Bearer {li.TOKEN}":
                return 401, {"status": 401, "code": "INVALID_ACCESS_TOKEN"}, {}
            if req.headers.get("x-restli-protocol-version") != "2.0.0":
                return 400, {"status": 400, "message": "Rest.li protocol 2.0.0 is required"}, {}
            if not req.headers.get("linkedin-version"):
                return 426, {"status": 426, "code": "VERSION_MISSING"}, {}
            return func(req)

        return check

    @li.route("GET", root)
    @authed
    def ad_account(req: Request) -> Reply:
        return 200, {"id": int(account), "currency": "EUR", "status": "ACTIVE"}, {}

    @li.route("POST", rf"{root}/adCampaigns")
    @authed
    def create_campaign(req: Request) -> Reply:
        b = req.json or {}
        problems = [
            f"/{k} is required"
            for k in (
                "account",
                "campaignGroup",
                "name",
                "type",
                "costType",
                "runSchedule",
                "locale",
                "targetingCriteria",
            )
            if k not in b
        ]
        if b.get("account") != f"urn:li:sponsoredAccount:{account}":
            problems.append("/account does not match the ad account in the path")
        budget = b.get("totalBudget") or b.get("dailyBudget") or {}
        if not isinstance(budget.get("amount"), str):
            problems.append("/totalBudget/amount must be a string")
        if problems:
            return 422, {"status": 422, "message": "; ".join(problems)}, {}
        cid = li.next_id()
        state["campaigns"][cid] = {**b, "id": int(cid)}
        return 201, None, {"x-restli-id": cid}

    @li.route("GET", rf"{root}/adCampaigns")
    @authed
    def find_campaigns(req: Request) -> Reply:
        m = re.fullmatch(r"\(name:\(values:List\((.*)\)\)\)", req.query.get("search", ""))
        if req.query.get("q") != "search" or not m:
            return 400, {"status": 400, "message": "q=search&search=(...) expected"}, {}
        names = {_unquote(n) for n in m.group(1).split(",")}
        rows = [c for c in state["campaigns"].values() if c["name"] in names]
        return 200, {"elements": rows, "paging": {"start": 0, "count": 10}}, {}

    @li.route("POST", rf"{root}/adCampaigns/(\d+)")
    @authed
    def patch_campaign(req: Request) -> Reply:
        if req.headers.get("x-restli-method") != "PARTIAL_UPDATE":
            return 400, {"status": 400, "message": "X-RestLi-Method: PARTIAL_UPDATE expected"}, {}
        c = state["campaigns"].get(req.match.group(1))
        if c is None:
            return 404, {"status": 404, "message": "Not found"}, {}
        c.update(((req.json or {}).get("patch") or {}).get("$set") or {})
        return 204, None, {}

    @li.route("POST", rf"{root}/creatives")
    @authed
    def create_creative(req: Request) -> Reply:
        b = req.json or {}
        ref = (b.get("content") or {}).get("reference", "")
        if not any(p["id"] == ref for p in li.posts):
            return 422, {"status": 422, "message": "/content/reference: unknown post"}, {}
        cid = (b.get("campaign") or "").rsplit(":", 1)[-1]
        if cid not in state["campaigns"]:
            return 422, {"status": 422, "message": "/campaign: unknown campaign"}, {}
        urn = f"urn:li:sponsoredCreative:{li.next_id()}"
        state["creatives"][urn] = {"id": urn, **b}
        return 201, None, {"x-restli-id": urn}

    @li.route("GET", rf"{root}/creatives")
    @authed
    def find_creatives(req: Request) -> Reply:
        m = re.fullmatch(r"List\((.*)\)", req.query.get("campaigns", ""))
        if req.query.get("q") != "criteria" or not m:
            return 400, {"status": 400, "message": "q=criteria&campaigns=List(...) expected"}, {}
        wanted = {_unquote(c) for c in m.group(1).split(",")}
        rows = [c for c in state["creatives"].values() if c["campaign"] in wanted]
        return 200, {"elements": rows}, {}

    @li.route("GET", r"/rest/adAnalytics")
    @authed
    def analytics(req: Request) -> Reply:
        q = req.query
        m = re.fullmatch(r"List\((.*)\)", q.get("campaigns", ""))
        if q.get("q") != "analytics" or not m or "fields" not in q:
            return 400, {"status": 400, "message": "q=analytics, campaigns and fields expected"}, {}
        cid = _unquote(m.group(1)).rsplit(":", 1)[-1]
        fig = state["figures"].get(cid) or {"days": {}, "reach": 0}
        days = sorted(fig["days"].items())
        if q.get("timeGranularity") == "DAILY":
            rows = []
            for d, (spend, imp, clicks) in days:
                y, mo, da = (int(x) for x in d.split("-"))
                rows.append(
                    {
                        "costInLocalCurrency": f"{spend:.2f}",
                        "impressions": imp,
                        "clicks": clicks,
                        "dateRange": {
                            "start": {"year": y, "month": mo, "day": da},
                            "end": {"year": y, "month": mo, "day": da},
                        },
                    }
                )
            return 200, {"elements": rows}, {}
        return (
            200,
            {
                "elements": [
                    {
                        "costInLocalCurrency": f"{sum(s for _, (s, _, _) in days):.2f}",
                        "impressions": sum(i for _, (_, i, _) in days),
                        "clicks": sum(c for _, (_, _, c) in days),
                        "approximateMemberReach": fig["reach"],
                    }
                ]
                if days
                else []
            },
            {},
        )

    return state
