"""Connecting accounts from the studio: every flow against fakes of the documented endpoints.

Mastodon against mastodon-mock (app registration, authorize, token); X, LinkedIn
and Meta against fakes whose consent page and code exchange follow the
networks' OAuth documents (state, PKCE where documented, single-use codes);
Bluesky against the fake PDS session. Also: a wrong or replayed state, a
denied consent, a missing developer app, and an X refresh token that expired.
"""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml

from portevoix.accounts import connect
from portevoix.core import configstore, secrets
from portevoix.core.config import parse_config
from tests.fakes import FakeGraph, FakeLinkedIn, FakeX, linkedin_oauth, meta_oauth, x_oauth
from tests.integration.test_bluesky import create_account, pds  # noqa: F401 - the PDS fixture
from tests.integration.test_studio import MEMBER, Browser, sign_in, studio  # noqa: F401

CALLBACK = "https://studio.example/accounts/callback"
PARAMETER = "/portevoix/config"


@pytest.fixture
def stack(studio: dict[str, Any], aws: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:  # noqa: F811
    """The studio with its configuration in the SSM parameter, as deployed."""
    data = {
        "brand": {"name": "Cyclia"},
        "sender": "veille@brand.example",
        "team": [{"email": MEMBER, "language": "en"}, {"email": "alex@brand.example"}],
        "fetch": {"allow_private_networks": True},
        "accounts": [{"network": "hackernews", "query": "Cyclia"}],
    }
    text = yaml.safe_dump(data)
    aws.client("ssm").put_parameter(Name=PARAMETER, Value=text, Type="String")
    monkeypatch.setenv("CONFIG_PARAMETER", PARAMETER)
    monkeypatch.setenv("SECRETS_PATH", "portevoix")
    secrets.forget()
    config = parse_config(text)
    browser = sign_in(config, studio["outbox"])
    browser.config = lambda: parse_config(configstore.current()[0])  # as each request reads it
    return {**studio, "config": config, "browser": browser}


def saved() -> tuple[dict[str, Any], int]:
    text, version = configstore.current()
    return yaml.safe_load(text), version


def ssm_secret(aws: Any, name: str) -> tuple[str, str]:
    found = aws.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    return found["Type"], found["Value"]


def start(browser: Browser, network: str, form: dict[str, str] | None = None) -> str:
    """The member fills the Connect form; returns the consent page's address it links to."""
    page = browser.go("GET", f"/accounts/connect/{network}")
    assert page.status == 200, page.body
    answer = browser.go(
        "POST",
        f"/accounts/connect/{network}",
        {"csrf": browser.field(page, "csrf"), **(form or {})},
    )
    assert answer.status == 200, answer.body
    found = re.search(r'class="button primary-link" href="([^"]+)"', str(answer.body))
    assert found, answer.body
    return unescape(found.group(1))


def back_from(url: str) -> str:
    """The network's consent page answered with a redirect to our callback: its path+query."""
    location = urlsplit(url)
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return f"{location.path}?{location.query}"


def consent(url: str) -> str:
    resp = requests.get(url, allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    return back_from(resp.headers["Location"])


# -- Mastodon ----------------------------------------------------------------------------


def mastodon_consent(api: str, authorize: str, username: str = "alice") -> str:
    """What the instance's authorize page does when the member picks an account and allows."""
    q = {k: v[-1] for k, v in parse_qs(urlsplit(authorize).query).items()}
    resp = requests.post(
        api + "/oauth/authorize",
        data={
            "username": username,
            "redirect_uri": q["redirect_uri"],
            "client_id": q["client_id"],
            "scope": q["scope"],
            "state": q["state"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302
    return back_from(resp.headers["Location"])


def test_mastodon_connects_with_an_app_registered_on_the_instance(
    stack: dict[str, Any], api: str, aws: Any
) -> None:
    browser = stack["browser"]
    _, before = saved()
    authorize = start(browser, "mastodon", {"instance": api})
    q = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(api + "/oauth/authorize?")
    assert q["redirect_uri"] == [CALLBACK] and q["scope"] == ["read write"]
    assert q["code_challenge_method"] == ["S256"] and len(q["state"][0]) >= 40

    done = browser.go("GET", mastodon_consent(api, authorize))
    assert done.status == 200 and "Mastodon is connected: @alice@127.0.0.1" in str(done.body)
    kind, token = ssm_secret(aws, "/portevoix/mastodon/mastodon")
    assert kind == "SecureString"
    me = requests.get(
        api + "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert me["username"] == "alice"  # the stored token is alice's, and it works
    data, version = saved()
    assert version == before + 1
    assert data["accounts"][-1] == {
        "network": "mastodon",
        "instance": api,
        "secret": "ssm:/portevoix/mastodon/mastodon",
    }
    note = configstore.history()[0].note
    assert note.startswith(MEMBER) and "connected mastodon" in note
    # The same answer again (a reload, a replay): refused, nothing changes.
    again = browser.go("GET", mastodon_consent(api, authorize))
    assert again.status == 400 and "does not match" in str(again.body)
    assert saved()[1] == version


def test_a_forged_state_or_another_members_state_changes_nothing(
    stack: dict[str, Any], api: str, aws: Any
) -> None:
    browser = stack["browser"]
    _, before = saved()
    authorize = start(browser, "mastodon", {"instance": api})
    back = mastodon_consent(api, authorize)
    forged = re.sub(r"state=[\w-]+", "state=" + "A" * 43, back)
    answer = browser.go("GET", forged)
    assert answer.status == 400 and "nothing was changed" in str(answer.body)
    # Alex, signed in too, cannot finish the flow Camille started.
    alex = sign_in(stack["config"], stack["outbox"], "alex@brand.example")
    assert alex.go("GET", back).status == 400
    assert saved()[1] == before
    names = [p["Name"] for p in aws.client("ssm").describe_parameters()["Parameters"]]
    assert "/portevoix/mastodon/mastodon" not in names
    # Not signed in: the callback asks to sign in first.
    assert Browser(stack["config"]).go("GET", back).status == 303


def test_a_denied_consent_says_so_and_changes_nothing(stack: dict[str, Any], api: str) -> None:
    browser = stack["browser"]
    _, before = saved()
    authorize = start(browser, "mastodon", {"instance": api})
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    answer = browser.go(
        "GET",
        f"/accounts/callback?error=access_denied&error_description=The+resource+owner+"
        f"denied+the+request&state={state}",
    )
    assert answer.status == 400
    assert "did not grant access (The resource owner denied the request)" in str(answer.body)
    assert saved()[1] == before


def test_an_instance_that_is_not_one_is_named(stack: dict[str, Any], feed_server: Any) -> None:
    browser = stack["browser"]
    page = browser.go("GET", "/accounts/connect/mastodon")
    answer = browser.go(
        "POST",
        "/accounts/connect/mastodon",
        {"csrf": browser.field(page, "csrf"), "instance": feed_server.base_url},
    )
    assert answer.status == 422
    assert "registering Porte-voix on the instance" in str(answer.body)
    assert re.search(r"127\.0\.0\.1:\d+ answered HTTP 5\d\d", str(answer.body)), answer.body


def test_the_ssrf_guard_applies_to_a_typed_instance(stack: dict[str, Any], aws: Any) -> None:
    text = yaml.safe_dump(
        {"brand": {"name": "Cyclia"}, "sender": "veille@brand.example", "team": [{"email": MEMBER}]}
    )
    config = parse_config(text)  # private networks not allowed
    browser = sign_in(config, stack["outbox"])
    page = browser.go("GET", "/accounts/connect/mastodon")
    answer = browser.go(
        "POST",
        "/accounts/connect/mastodon",
        {"csrf": browser.field(page, "csrf"), "instance": "http://10.1.2.3"},
    )
    assert answer.status == 422 and "10.1.2.3" in str(answer.body), answer.body


# -- X, LinkedIn, Meta ----------------------------------------------------------------------


def developer_app(aws: Any, app: str, client_id: str, secret: str = "") -> None:
    value = json.dumps({"client_id": client_id, "client_secret": secret})
    aws.client("ssm").put_parameter(
        Name=f"/portevoix/apps/{app}", Value=value, Type="SecureString", Overwrite=True
    )


def repoint(
    monkeypatch: pytest.MonkeyPatch, app: str, base: str, authorize: str, token: str
) -> None:
    """The network's documented OAuth addresses, on a fake's server."""
    endpoints = {"authorize": base + authorize, "token": base + token, "api": base}
    monkeypatch.setitem(connect.ENDPOINTS, app, endpoints)


def choose(browser: Browser, page: Any, index: int = 0) -> Any:
    """The member picks one of the pages or organisations offered."""
    form = {"csrf": browser.field(page, "csrf"), "state": browser.field(page, "state")}
    return browser.go("POST", "/accounts/choose", {**form, "choice": str(index)})


@pytest.fixture
def x_api(monkeypatch: pytest.MonkeyPatch) -> Any:
    with FakeX() as x:
        repoint(monkeypatch, "x", x.url, "/i/oauth2/authorize", "/2/oauth2/token")
        yield x


def test_x_without_a_developer_app_says_what_to_create(stack: dict[str, Any], x_api: Any) -> None:
    page = stack["browser"].go("GET", "/accounts/connect/x")
    body = unescape(str(page.body))
    assert "/portevoix/apps/x" in body and CALLBACK in body
    assert 'action="/accounts/connect/x"' not in body  # no button to a flow that cannot work


def test_x_connects_with_pkce_and_stores_the_refreshable_json(
    stack: dict[str, Any], x_api: Any, aws: Any
) -> None:
    developer_app(aws, "x", FakeX.CLIENT_ID)
    door = x_oauth(x_api, CALLBACK)
    authorize = start(stack["browser"], "x")
    assert set(parse_qs(urlsplit(authorize).query)["scope"][0].split()) == set(FakeX.ALL_SCOPES)
    done = stack["browser"].go("GET", consent(authorize))
    assert done.status == 200 and "X is connected" in str(done.body), done.body
    assert door.exchanged == 1
    kind, value = ssm_secret(aws, "/portevoix/x/x")
    stored = json.loads(value)
    assert kind == "SecureString" and stored["client_id"] == FakeX.CLIENT_ID
    assert stored["refresh_token"] in x_api.refresh_tokens and stored["expires_at"]
    data, _ = saved()
    entry = data["accounts"][-1]
    assert entry == {
        "network": "x",
        "user_id": FakeX.USER,
        "base": x_api.url,
        "secret": "ssm:/portevoix/x/x",
    }
    # The connected account works: the X client reads who it is with the stored token.
    from portevoix.networks import build

    config = parse_config(configstore.current()[0])
    assert build(config.account("x"), config).check_credentials().ok


def test_x_consent_denied(stack: dict[str, Any], x_api: Any, aws: Any) -> None:
    developer_app(aws, "x", FakeX.CLIENT_ID)
    door = x_oauth(x_api, CALLBACK)
    door.deny = True
    _, before = saved()
    answer = stack["browser"].go("GET", consent(start(stack["browser"], "x")))
    assert answer.status == 400 and "X" not in saved()[0].get("accounts", [{}])[-1].get(
        "network", ""
    )
    assert "did not grant access (The user denied)" in str(answer.body)
    assert saved()[1] == before and door.exchanged == 0


def test_an_expired_x_refresh_token_asks_to_reconnect_with_the_link(
    stack: dict[str, Any], x_api: Any, aws: Any
) -> None:
    """X refuses a dead refresh token: the error says reconnect, and the alert links to it."""
    from portevoix.accounts import health
    from portevoix.core.errors import AuthError
    from portevoix.networks import build

    stale = x_api.issue(expired=True)
    x_api.refresh_tokens.pop(stale["refresh_token"])  # X no longer knows it
    aws.client("ssm").put_parameter(
        Name="/portevoix/x/x", Value=json.dumps(stale), Type="SecureString"
    )
    text = configstore.edited(
        configstore.current()[0],
        lambda d: d.update(
            accounts=[
                {
                    "network": "x",
                    "user_id": FakeX.USER,
                    "base": x_api.url,
                    "secret": "ssm:/portevoix/x/x",
                }
            ]
        ),
    )
    configstore.save(text, based_on=None, by="test", note="x")
    config = parse_config(text)
    with pytest.raises(AuthError, match="reconnect"):
        build(config.account("x"), config).check_credentials()
    statuses = health.check(config)
    sent = health.alert(config, statuses)
    assert sent
    from email import message_from_bytes, policy

    body = "\n".join(
        message_from_bytes(p.read_bytes(), policy=policy.default)
        .get_body(preferencelist=("plain",))
        .get_content()
        for p in stack["outbox"].glob("*accounts*.eml")
    )
    assert "https://studio.example/accounts/connect/x?account=x" in body


@pytest.fixture
def linkedin(monkeypatch: pytest.MonkeyPatch) -> Any:
    with FakeLinkedIn() as li:
        repoint(monkeypatch, "linkedin", li.url, "/oauth/v2/authorization", "/oauth/v2/accessToken")
        linkedin_oauth(li, CALLBACK)
        yield li


def connect_linkedin(browser: Browser) -> Any:
    offered = browser.go("GET", consent(start(browser, "linkedin")))
    assert offered.status == 200 and "Brand SAS (urn:li:organization:123)" in str(offered.body)
    return choose(browser, offered)


def test_linkedin_connects_an_organisation_the_member_picks(
    stack: dict[str, Any], aws: Any, linkedin: Any
) -> None:
    developer_app(aws, "linkedin", "li-client", "wrong-secret")
    browser = stack["browser"]
    refused = browser.go("GET", consent(start(browser, "linkedin")))
    assert refused.status == 400 and "HTTP 401" in str(refused.body)  # a wrong app secret
    developer_app(aws, "linkedin", "li-client", "li-secret")
    secrets.forget()
    done = connect_linkedin(browser)
    assert done.status == 200 and "LinkedIn is connected" in str(done.body), done.body
    entry = saved()[0]["accounts"][-1]
    assert entry["organization"] == FakeLinkedIn.ORG and entry["base"] == linkedin.url
    stored = json.loads(ssm_secret(aws, "/portevoix/linkedin/linkedin")[1])
    assert stored["access_token"] == FakeLinkedIn.TOKEN and stored["expires_at"]
    assert stored["refresh_token"] == "li-refresh" and stored["client_id"] == "li-client"


def test_linkedin_renews_its_token_a_week_before_it_expires_then_asks_to_reconnect(
    stack: dict[str, Any], aws: Any, linkedin: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from portevoix.core.errors import AuthError
    from portevoix.core.timeutil import iso
    from portevoix.networks import build

    developer_app(aws, "linkedin", "li-client", "li-secret")
    connect_linkedin(stack["browser"])
    name = "/portevoix/linkedin/linkedin"

    def expire_in(days: float) -> dict[str, Any]:
        data = json.loads(ssm_secret(aws, name)[1])
        data["expires_at"] = iso(datetime.now(UTC) + timedelta(days=days))
        aws.client("ssm").put_parameter(
            Name=name, Value=json.dumps(data), Type="SecureString", Overwrite=True
        )
        secrets.forget()
        config = parse_config(configstore.current()[0])
        return {"net": build(config.account("linkedin"), config), "before": data}

    soon = expire_in(3)
    assert soon["net"].check_credentials().ok
    renewed = json.loads(ssm_secret(aws, name)[1])
    assert linkedin.refreshed == 1 and renewed["access_token"] == linkedin.TOKEN
    assert renewed["access_token"] != soon["before"]["access_token"]
    assert renewed["expires_at"] > iso(datetime.now(UTC) + timedelta(days=59))
    # The health check warns about the refresh token's end, not the access token's.
    _, until = soon["net"].credentials()
    assert until is not None and until > datetime.now(UTC) + timedelta(days=300)

    linkedin.refresh_tokens.clear()  # a year later: LinkedIn no longer knows it
    late = expire_in(-1)
    with pytest.raises(AuthError, match="reconnect this account.*LinkedIn refused the refresh"):
        late["net"].check_credentials()


@pytest.mark.parametrize("network", ["facebook", "instagram"])
def test_meta_connects_a_page_or_its_instagram_with_a_page_token(
    stack: dict[str, Any], aws: Any, monkeypatch: pytest.MonkeyPatch, network: str
) -> None:
    with FakeGraph() as g:
        v = connect.GRAPH_VERSION
        repoint(monkeypatch, "meta", g.url, f"/{v}/dialog/oauth", f"/{v}/oauth/access_token")
        developer_app(aws, "meta", "meta-app", "meta-secret")
        meta_oauth(g, CALLBACK)
        browser = stack["browser"]
        answer = browser.go("GET", consent(start(browser, network)))
        if network == "facebook":  # two Pages: the member picks one
            assert "Brand Jobs" in str(answer.body)
            answer = choose(browser, answer)
        # Instagram: only one Page has an Instagram account linked, connected at once.
        assert answer.status == 200 and "is connected" in str(answer.body), answer.body
        entry = saved()[0]["accounts"][-1]
        field, value = ("page_id", g.PAGE) if network == "facebook" else ("user_id", g.IG)
        assert entry[field] == value and entry["base"] == g.url
        assert ssm_secret(aws, f"/portevoix/{network}/{network}")[1] == FakeGraph.TOKEN
        choice_state = browser.go(
            "POST", "/accounts/choose", {"csrf": browser.field(answer, "csrf"), "state": "x" * 43}
        )
        assert choice_state.status == 400


# -- Bluesky ----------------------------------------------------------------------------------


def test_bluesky_refuses_the_account_password_and_connects_with_an_app_password(
    stack: dict[str, Any],
    aws: Any,
    pds: str,  # noqa: F811
) -> None:
    account = create_account(pds, "brand")
    browser = stack["browser"]

    def submit(password: str) -> Any:
        page = browser.go("GET", "/accounts/connect/bluesky")
        form = {"handle": account["handle"], "password": password, "service": pds}
        return browser.go(
            "POST", "/accounts/connect/bluesky", {"csrf": browser.field(page, "csrf"), **form}
        )

    own = submit(account["password"])
    assert own.status == 422 and "the account's own password" in unescape(str(own.body))
    assert account["password"] not in str(own.body)  # never echoed back
    wrong = submit("abcd-efgh-ijkl-mnop")
    assert wrong.status == 422 and "HTTP 401" in str(wrong.body)
    session = requests.post(
        pds + "/xrpc/com.atproto.server.createSession",
        json={"identifier": account["handle"], "password": account["password"]},
        timeout=30,
    ).json()
    app_password = requests.post(
        pds + "/xrpc/com.atproto.server.createAppPassword",
        json={"name": "porte-voix"},
        headers={"Authorization": f"Bearer {session['accessJwt']}"},
        timeout=30,
    ).json()["password"]
    done = submit(app_password)
    assert done.status == 200 and f"@{account['handle']}" in str(done.body)
    assert ssm_secret(aws, "/portevoix/bluesky/bluesky") == ("SecureString", app_password)
    entry = saved()[0]["accounts"][-1]
    assert entry == {
        "network": "bluesky",
        "handle": account["handle"],
        "service": pds,
        "secret": "ssm:/portevoix/bluesky/bluesky",
    }


def test_reconnecting_keeps_the_account_and_replaces_its_token(
    stack: dict[str, Any], api: str, aws: Any
) -> None:
    browser = stack["browser"]
    authorize = start(browser, "mastodon", {"instance": api})
    browser.go("GET", mastodon_consent(api, authorize, "alice"))
    page = browser.go("GET", "/accounts")
    assert 'href="/accounts/connect/mastodon?account=mastodon"' in str(page.body)
    authorize = start(browser, "mastodon", {"instance": api, "account": "mastodon"})
    done = browser.go("GET", mastodon_consent(api, authorize, "bob"))
    assert "@bob@" in str(done.body)
    accounts = [a for a in saved()[0]["accounts"] if a["network"] == "mastodon"]
    assert len(accounts) == 1  # the same account, a new token
    token = ssm_secret(aws, "/portevoix/mastodon/mastodon")[1]
    me = requests.get(
        api + "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert me["username"] == "bob"


# -- ad accounts (paid boosts) ------------------------------------------------------------------


def with_accounts(aws: Any, *accounts: dict[str, Any]) -> None:
    data, _ = saved()
    data["accounts"] = [*data["accounts"], *accounts]
    aws.client("ssm").put_parameter(
        Name=PARAMETER, Value=yaml.safe_dump(data), Type="String", Overwrite=True
    )


def test_a_meta_ad_account_connects_with_its_saved_audiences(
    stack: dict[str, Any], aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeGraph() as g:
        v = connect.GRAPH_VERSION
        repoint(monkeypatch, "meta", g.url, f"/{v}/dialog/oauth", f"/{v}/oauth/access_token")
        developer_app(aws, "meta", "meta-app", "meta-secret")
        door = meta_oauth(g, CALLBACK)

        @g.route("GET", r"/v\d+\.\d+/me/adaccounts")
        def ad_accounts(req: Any) -> Any:
            if req.query.get("access_token") != g.user_tokens["long"]:
                return 400, {"error": {"message": "Invalid OAuth access token.", "code": 190}}, {}
            rows = [{"id": "act_777", "name": "Cyclia Ads", "currency": "EUR", "account_status": 1}]
            return 200, {"data": rows}, {}

        @g.route("GET", r"/v\d+\.\d+/act_777/saved_audiences")
        def audiences(req: Any) -> Any:
            return 200, {"data": [{"id": "2385", "name": "Fans FR 25-45"}]}, {}

        browser = stack["browser"]
        authorize = start(browser, "meta-ads")
        assert "ads_management" in parse_qs(urlsplit(authorize).query)["scope"][0]
        refused = browser.go("GET", consent(authorize))  # no Page yet: nothing to boost
        assert refused.status == 400 and "connect a facebook or instagram account first" in (
            unescape(str(refused.body))
        )
        with_accounts(
            aws,
            {
                "network": "facebook",
                "id": "fb",
                "page_id": g.PAGE,
                "secret": "ssm:/portevoix/facebook/fb",
            },
        )
        done = browser.go("GET", consent(start(browser, "meta-ads")))
        assert done.status == 200 and "is connected" in str(done.body), done.body
        (entry,) = saved()[0]["boosts"]["ad_accounts"]
        assert entry["id"] == "meta-ads" and entry["ad_account"] == "act_777"
        assert entry["boosts"] == ["fb"] and entry["audiences"] == {"fans-fr-25-45": "2385"}
        kind, value = ssm_secret(aws, "/portevoix/meta-ads/meta-ads")
        assert kind == "SecureString" and json.loads(value)["access_token"] == "meta-long-user"
        page = browser.go("GET", "/accounts")
        assert 'data-ad-account="meta-ads"' in str(page.body) and "fans-fr-25-45" in str(page.body)
        assert door  # the consent page was the documented one


def test_a_linkedin_ad_account_connects_with_its_campaign_group(
    stack: dict[str, Any], aws: Any, linkedin: Any
) -> None:
    developer_app(aws, "linkedin", "li-client", "li-secret")

    @linkedin.route("GET", r"/rest/adAccounts")
    def search(req: Any) -> Any:
        assert req.query.get("q") == "search"
        return 200, {"elements": [{"id": 5001, "name": "Cyclia", "currency": "EUR"}]}, {}

    @linkedin.route("GET", r"/rest/adAccounts/5001/adCampaignGroups")
    def groups(req: Any) -> Any:
        return 200, {"elements": [{"id": 600, "name": "Default Campaign Group"}]}, {}

    with_accounts(
        aws,
        {
            "network": "linkedin",
            "id": "li",
            "organization": FakeLinkedIn.ORG,
            "secret": "ssm:/portevoix/linkedin/li",
        },
    )
    browser = stack["browser"]
    authorize = start(browser, "linkedin-ads")
    assert parse_qs(urlsplit(authorize).query)["scope"] == [connect.LINKEDIN_ADS_SCOPES]
    done = browser.go("GET", consent(authorize))
    assert done.status == 200 and "is connected" in str(done.body), done.body
    (entry,) = saved()[0]["boosts"]["ad_accounts"]
    assert entry["ad_account"] == "5001" and entry["campaign_group"] == "600"
    assert entry["boosts"] == ["li"] and entry["audiences"] == {}
