"""The studio through its route table: sign-in, sessions, CSRF, composer, calendar, ICS, links."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from portevoix.core import links, store
from portevoix.web import routes, sessions
from portevoix.web.http import Request, Response
from tests.helpers import accounts, make_config

MEMBER = "camille@brand.example"


class Browser:
    """Keeps cookies like a browser; answers are the route table's own Response."""

    def __init__(self, config: Any, client: str = "203.0.113.7"):
        self.config = config
        self.cookies: dict[str, str] = {}
        self.client = client

    def go(
        self,
        method: str,
        url: str,
        form: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        raw, ctype = b"", ""
        if form is not None:
            raw, ctype = urlencode(form).encode(), "application/x-www-form-urlencoded"
        elif body is not None:
            raw, ctype = json.dumps(body).encode(), "application/json"
        request = Request(
            method,
            parts.path,
            query,
            {"content-type": ctype, **(headers or {})},
            dict(self.cookies),
            raw,
            self.client,
        )
        # A callable: the configuration as the stack reads it now (the studio edits it).
        config = self.config() if callable(self.config) else self.config
        answer = routes.handle(config, request)
        for c in answer.cookies:
            name, _, rest = c.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in c:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return answer

    def field(self, answer: Response, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', str(answer.body))
        assert found, f"no field {name}"
        return found.group(1)


@pytest.fixture
def studio(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("PORTEVOIX_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("APPROVAL_BASE_URL", "https://studio.example")
    sessions.forget_key()
    sfn = aws.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="publish",
        definition=json.dumps(
            {"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}
        ),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    monkeypatch.setenv("STATE_MACHINE_ARN", arn)
    config = make_config(accounts=accounts("masto", "x"))
    return {"config": config, "outbox": tmp_path / "outbox"}


def sent_links(outbox: Path) -> list[str]:
    found = []
    for eml in sorted(outbox.glob("*-signin.eml")) if outbox.exists() else []:
        msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
        text = msg.get_body(preferencelist=("plain",)).get_content()
        found += re.findall(r"https://studio\.example/signin/[\w-]+\S*", text)
    return found


def sign_in(config: Any, outbox: Path, email: str = MEMBER) -> Browser:
    browser = Browser(config)
    form = browser.go("GET", "/signin")
    answer = browser.go("POST", "/signin", {"email": email, "pre": browser.field(form, "pre")})
    assert answer.status == 200
    link = sent_links(outbox)[-1]
    page = browser.go("GET", urlsplit(link).path)
    assert page.status == 200 and email in str(page.body)
    done = browser.go(
        "POST", urlsplit(link).path, {"form_token": browser.field(page, "form_token")}
    )
    assert done.status == 303 and done.headers["Location"] == "/calendar"
    return browser


def test_sign_in_by_email_link_then_the_calendar(studio: dict[str, Any]) -> None:
    config, outbox = studio["config"], studio["outbox"]
    browser = Browser(config)
    assert browser.go("GET", "/calendar").headers["Location"].startswith("/signin")
    browser = sign_in(config, outbox)
    cookie = [c for c in browser.cookies if c == sessions.COOKIE]
    assert cookie
    page = browser.go("GET", "/calendar")
    assert page.status == 200 and "Calendrier" in str(page.body)
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    # The GET of the link changed nothing: only the POST used it, once.
    link = sent_links(outbox)[-1]
    replay = Browser(config)
    again = replay.go("GET", urlsplit(link).path)
    assert again.status == 410 and "déjà servi" in str(again.body)


def test_a_stranger_gets_the_same_answer_and_no_email(studio: dict[str, Any]) -> None:
    config, outbox = studio["config"], studio["outbox"]
    browser = Browser(config)
    pre = browser.field(browser.go("GET", "/signin"), "pre")
    member = browser.go("POST", "/signin", {"email": MEMBER, "pre": pre})
    stranger = browser.go("POST", "/signin", {"email": "eve@evil.example", "pre": pre})
    assert (member.status, member.body) == (stranger.status, stranger.body)
    assert len(sent_links(outbox)) == 1


def test_sign_in_requests_are_limited_per_address(studio: dict[str, Any]) -> None:
    browser = Browser(studio["config"])
    pre = browser.field(browser.go("GET", "/signin"), "pre")
    codes = [browser.go("POST", "/signin", {"email": MEMBER, "pre": pre}).status for _ in range(7)]
    assert codes == [200] * sessions.PER_ADDRESS + [429, 429]
    assert len(sent_links(studio["outbox"])) == sessions.PER_ADDRESS


def test_forged_expired_and_unknown_links_are_refused(studio: dict[str, Any]) -> None:
    config = studio["config"]
    past = datetime.now(UTC) - timedelta(minutes=16)
    _, old = sessions.request_link(config, MEMBER, "198.51.100.1", now=past)
    assert old
    browser = Browser(config)
    assert browser.go("GET", f"/signin/{old}").status == 410  # 15 minutes have passed
    assert browser.go("POST", f"/signin/{old}", {"form_token": "x"}).status == 410
    _, fresh = sessions.request_link(config, MEMBER, "198.51.100.1")
    forged = browser.go("POST", f"/signin/{fresh}", {"form_token": "guessed"})
    assert forged.status == 403 and sessions.COOKIE not in browser.cookies
    assert browser.go("GET", "/signin/nope-nope-nope").status == 404
    # A sign-in form posted without its own token (another site's form) is refused.
    assert Browser(config).go("POST", "/signin", {"email": MEMBER}).status == 403


def test_no_csrf_token_no_change_and_a_foreign_key_no_session(
    studio: dict[str, Any], aws: Any
) -> None:
    config, outbox = studio["config"], studio["outbox"]
    browser = sign_in(config, outbox)
    day = (datetime.now(config.tz) + timedelta(days=2)).date().isoformat()
    form = {"day": day, "at": "10:00", "text": "Bonjour", "use_masto": "on"}
    for csrf in (None, "wrong"):
        answer = browser.go("POST", "/compose", {**form, **({"csrf": csrf} if csrf else {})})
        assert answer.status == 403
    assert store.query_index("GSI2", store.calendar_index(day[:7])) == []
    # A cookie signed with another key (a stolen key rotated, or forged): signed out.
    aws.client("ssm").put_parameter(
        Name="/portevoix/studio/session-key",
        Value="another-key",
        Overwrite=True,
        Type="SecureString",
    )
    sessions.forget_key()
    assert browser.go("GET", "/calendar").status == 303


def test_sign_out_and_revoke_end_sessions_on_the_server(studio: dict[str, Any]) -> None:
    config, outbox = studio["config"], studio["outbox"]
    laptop, phone = sign_in(config, outbox), sign_in(config, outbox)
    stolen = dict(laptop.cookies)
    csrf = laptop.field(laptop.go("GET", "/calendar"), "csrf")
    assert laptop.go("POST", "/signout", {"csrf": csrf}).status == 200
    thief = Browser(config)
    thief.cookies = stolen  # the cookie copied before signing out is worth nothing
    assert thief.go("GET", "/calendar").status == 303
    assert phone.go("GET", "/calendar").status == 200
    assert sessions.revoke(MEMBER) == 1
    assert phone.go("GET", "/calendar").status == 303


def test_compose_checks_then_sends_and_the_calendar_shows_it(studio: dict[str, Any]) -> None:
    config, outbox = studio["config"], studio["outbox"]
    browser = sign_in(config, outbox)
    page = browser.go("GET", "/compose")
    csrf = browser.field(page, "csrf")
    when = datetime.now(config.tz) + timedelta(days=3)
    day = when.date().isoformat()
    from portevoix.publishing.posts import changed

    changed()  # as an earlier post would: calendar reads are now cached by version
    before = browser.go("GET", f"/calendar?view=week&date={day}")  # this week, now cached
    assert before.status == 200 and "data-post=" not in str(before.body)
    too_long = "Une annonce très détaillée. " * 12  # 336 characters: too long for X
    form = {
        "csrf": csrf,
        "title": "Lancement",
        "day": day,
        "at": "11:30",
        "text": too_long,
        "use_masto": "on",
        "use_x": "on",
    }
    check = browser.go(
        "POST",
        "/compose/check",
        body={k: v for k, v in form.items() if k != "csrf"},
        headers={"x-csrf-token": csrf},
    )
    verdict = json.loads(check.body)["variants"]
    assert verdict["x"]["blocked"] and verdict["x"]["count"] > 280
    assert not verdict["masto"]["blocked"]
    refused = browser.go("POST", "/compose", form)
    assert refused.status == 422 and "maximum est 280" in str(refused.body)
    assert (
        store.query_index("GSI2", store.calendar_index(when.astimezone(UTC).strftime("%Y-%m")))
        == []
    )
    sent = browser.go("POST", "/compose", {**form, "text_x": "Lancement ce jeudi !"})
    assert sent.status == 303
    post_id = sent.headers["Location"].rsplit("/", 1)[1]
    post = store.get(*store.post_key(post_id))
    assert post["variants"]["x"]["text"] == "Lancement ce jeudi !"
    assert post["variants"]["masto"]["text"] == too_long and post["execution_arn"]
    assert post["local_time"] == f"{day} 11:30" and post["author"] == MEMBER
    cal = browser.go("GET", f"/calendar?view=week&date={day}")
    assert f'data-post="{post_id}"' in str(cal.body)  # the cached week saw the new post
    page = browser.go("GET", f"/posts/{post_id}")
    assert page.status == 200 and "Lancement ce jeudi" in str(page.body)
    assert "refusés par SES" not in str(page.body)
    refusal = {"what": "post.approval", "to": "a@b.example", "error": "<b>MessageRejected</b>"}
    store.update(*store.post_key(post_id), {"notice_errors": [{**refusal, "at": "2026-12-04"}]})
    page = browser.go("GET", f"/posts/{post_id}")  # an email SES refused is shown, escaped
    assert "Emails refusés par SES" in str(page.body) and "&lt;b&gt;MessageRejected" in str(
        page.body
    )
    cancel = browser.go("POST", f"/posts/{post_id}/cancel", {"csrf": csrf})
    assert cancel.status == 200 and store.get(*store.post_key(post_id))["status"] == "cancelled"


def test_links_of_another_kind_and_unknown_ids_are_404(studio: dict[str, Any]) -> None:
    config = studio["config"]
    later = datetime.now(UTC) + timedelta(days=1)
    mention = links.create("mention", later, mention_id="rss#1")
    approval = links.create("approval", later, post_id="nope", email=MEMBER)
    browser = Browser(config)
    for path in (f"/a/{mention}", f"/m/{approval}", "/a/unknown-id", "/m/unknown-id"):
        answer = browser.go("GET", path)
        assert answer.status == 404, path
        assert "pas valide" in str(answer.body)
    assert browser.go("GET", "/nowhere").status == 404


def test_ics_feed_is_private_and_renewable(studio: dict[str, Any]) -> None:
    config, outbox = studio["config"], studio["outbox"]
    browser = sign_in(config, outbox)
    csrf = browser.field(browser.go("GET", "/compose"), "csrf")
    day = (datetime.now(config.tz) + timedelta(days=4)).date().isoformat()
    browser.go(
        "POST",
        "/compose",
        {
            "csrf": csrf,
            "title": "Soldes, enfin; vraiment",
            "day": day,
            "at": "09:00",
            "text": "Soldes",
            "use_masto": "on",
        },
    )
    cal = str(browser.go("GET", "/calendar").body)
    url = re.search(r'id="ics-url" readonly value="([^"]+)"', cal).group(1)
    feed = Browser(config).go("GET", urlsplit(url).path)
    assert feed.status == 200 and feed.content_type.startswith("text/calendar")
    assert "SUMMARY:[vérification] Soldes\\, enfin\\; vraiment" in str(feed.body)
    browser.go("POST", "/ics/renew", {"csrf": csrf})
    assert Browser(config).go("GET", urlsplit(url).path).status == 404


def test_next_never_leaves_the_site(studio: dict[str, Any]) -> None:
    browser = Browser(studio["config"])
    page = browser.go("GET", "/signin?next=//evil.example/x")
    assert browser.field(page, "next") == "/calendar"


def test_write_a_post_from_the_digest_survives_signing_in(studio: dict[str, Any]) -> None:
    config, outbox = studio["config"], studio["outbox"]
    browser = Browser(config)
    wanted = "/compose?" + urlencode(
        {"title": "Porte-voix lève des fonds", "link": "https://news.example/pv"}
    )
    first = browser.go("GET", wanted)
    assert first.status == 303
    signin = browser.go("GET", first.headers["Location"])
    assert browser.field(signin, "next") == wanted.replace("&", "&amp;")
    pre = browser.field(signin, "pre")
    browser.go("POST", "/signin", {"email": MEMBER, "pre": pre, "next": wanted})
    link = urlsplit(sent_links(outbox)[-1])
    page = browser.go("GET", link.path + "?" + link.query)
    done = browser.go(
        "POST",
        link.path,
        {"form_token": browser.field(page, "form_token"), "next": wanted},
    )
    assert done.headers["Location"] == wanted
    composer = str(browser.go("GET", wanted).body)
    assert 'value="https://news.example/pv"' in composer
    assert ">Porte-voix lève des fonds</textarea>" in composer


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def bucket(studio: dict[str, Any], aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    aws.client("s3").create_bucket(
        Bucket="pv-media-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    monkeypatch.setenv("DATA_BUCKET", "pv-media-test")
    return aws.client("s3")


def upload(
    browser: Browser, s3: Any, csrf: str, mime: str, data: bytes, said: int | None = None
) -> Response:
    """What the composer's script does: presign, post the bytes, ask for the check."""
    signed = browser.go(
        "POST",
        "/media/presign",
        body={"type": mime, "size": said or len(data)},
        headers={"x-csrf-token": csrf},
    )
    assert signed.status == 200, signed.body
    key = json.loads(signed.body)["key"]
    s3.put_object(Bucket="pv-media-test", Key=key, Body=data, ContentType=mime)
    return browser.go("POST", "/media/check", body={"key": key}, headers={"x-csrf-token": csrf})


def test_images_are_judged_by_their_bytes(studio: dict[str, Any], bucket: Any) -> None:
    browser = sign_in(studio["config"], studio["outbox"])
    page = browser.go("GET", "/compose")
    csrf = browser.field(page, "csrf")
    assert "img-src 'self' https://" in page.headers["Content-Security-Policy"]
    # Refused before any upload: a type that is no image, a size over the limit.
    for body in ({"type": "text/html", "size": 10}, {"type": "image/png", "size": 9 * 2**20}):
        refused = browser.go("POST", "/media/presign", body=body, headers={"x-csrf-token": csrf})
        assert refused.status == 400 and json.loads(refused.body)["error"]
    # A PNG that says it is a JPEG: refused by its bytes, and gone from the bucket.
    liar = upload(browser, bucket, csrf, "image/jpeg", PNG)
    assert liar.status == 400 and "its bytes are image/png" in json.loads(liar.body)["error"]
    assert bucket.list_objects_v2(Bucket="pv-media-test").get("KeyCount") == 0
    # An HTML page sent as an image: not an image, whatever its name.
    html = upload(browser, bucket, csrf, "image/png", b"<html><script>x</script></html>")
    assert html.status == 400 and "not an image" in json.loads(html.body)["error"]
    # Without the CSRF header, no presigned URL.
    assert browser.go("POST", "/media/presign", body={"type": "image/png", "size": 9}).status == 403
    good = upload(browser, bucket, csrf, "image/jpeg", JPEG)
    assert good.status == 200
    key = json.loads(good.body)["key"]
    day = (datetime.now(studio["config"].tz) + timedelta(days=2)).date().isoformat()
    media = json.dumps([{"key": key, "mime": "image/jpeg", "alt": "Le vélo \u202erouge"}])
    sent = browser.go(
        "POST",
        "/compose",
        {
            "csrf": csrf,
            "day": day,
            "at": "10:00",
            "text": "Nouveau",
            "use_masto": "on",
            "media": media,
        },
    )
    assert sent.status == 303
    post = store.get(*store.post_key(sent.headers["Location"].rsplit("/", 1)[1]))
    (image,) = post["variants"]["masto"]["media"]
    assert image == {
        "url": f"s3://pv-media-test/{key}",
        "mime": "image/jpeg",
        "alt": "Le vélo rouge",
    }
    # A key that is not an upload of ours is dropped; one deleted meanwhile is a clear error.
    bucket.delete_object(Bucket="pv-media-test", Key=key)
    gone = browser.go(
        "POST",
        "/compose",
        {
            "csrf": csrf,
            "day": day,
            "at": "10:00",
            "text": "Encore",
            "use_masto": "on",
            "media": media,
        },
    )
    assert gone.status == 422 and "add it again" in str(gone.body)


def test_an_upload_bigger_than_it_said_is_refused(studio: dict[str, Any], bucket: Any) -> None:
    """S3 enforces the presigned policy; should a file still land too big, the check refuses it."""
    from portevoix.publishing import media

    browser = sign_in(studio["config"], studio["outbox"])
    csrf = browser.field(browser.go("GET", "/compose"), "csrf")
    big = upload(browser, bucket, csrf, "image/jpeg", JPEG + b"\x00" * media.MAX_BYTES, said=68)
    assert big.status == 400 and "the limit is 8 MB" in json.loads(big.body)["error"]
    assert bucket.list_objects_v2(Bucket="pv-media-test").get("KeyCount") == 0


def test_each_member_reads_the_studio_in_their_language(studio: dict[str, Any]) -> None:
    config, outbox = studio["config"], studio["outbox"]
    alex = sign_in(config, outbox, "alex@brand.example")  # language: en
    calendar = str(alex.go("GET", "/calendar").body)
    assert '<html lang="en">' in calendar and "Calendar" in calendar and "New post" in calendar
    compose = str(alex.go("GET", "/compose").body)
    assert "Send for approval" in compose and "Alt text (what the image shows" in compose
    camille = sign_in(config, outbox)
    assert "Nouvelle publication" in str(camille.go("GET", "/calendar").body)
    # Signed out, the browser's language decides.
    page = Browser(config).go("GET", "/signin")
    assert "Adresse e-mail" in str(page.body)
