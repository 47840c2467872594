"""Connecting a network account from the studio: OAuth 2.0 or an app password, to SSM.

- Mastodon: an app registered on the instance (``POST /api/v1/apps``), then
  the authorization code flow with PKCE (Mastodon 4.3+; older ones ignore it).
  https://docs.joinmastodon.org/methods/apps/ and /methods/oauth/
- X: authorization code with PKCE (required), ``offline.access`` for a refresh
  token; the JSON the X client renews is what is stored.
  https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token
- LinkedIn: 3-legged authorization code (confidential client: the secret stays
  on the server; LinkedIn's PKCE is for native apps), then the organisations
  the member administers (``organizationAcls``).
  https://learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow
- Facebook Page and Instagram (Meta): the manual login flow, the long-lived
  token exchange, then the Pages (a Page token from a long-lived user token
  does not expire) and the Instagram professional account linked to a Page.
  https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow
- Bluesky: a handle and an app password, checked by opening a session.

Every flow carries a random ``state`` stored for 15 minutes, bound to the
member who started it and usable once; the callback refuses any other. The
token goes to an SSM SecureString under the stack's secrets path and the
account to the configuration (a new version of its parameter).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets as _random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from portevoix.core import configstore, secrets, store
from portevoix.core.errors import ConnectError, SecretError
from portevoix.core.timeutil import iso
from portevoix.networks.linkedin import REFRESH_URL

LIFETIME = timedelta(minutes=15)
NETWORKS = ("mastodon", "bluesky", "linkedin", "facebook", "instagram", "x")
OAUTH_APP = {
    "linkedin": "linkedin",
    "facebook": "meta",
    "instagram": "meta",
    "x": "x",
    "meta-ads": "meta",
    "linkedin-ads": "linkedin",
}
# Ad accounts (paid boosts) connect through the same apps, into boosts.ad_accounts.
AD_NETWORKS = {"meta-ads": "meta", "linkedin-ads": "linkedin"}
LINKEDIN_ADS_SCOPES = "r_ads rw_ads r_ads_reporting"
MASTODON_SCOPES = "read write"
X_SCOPES = "tweet.read tweet.write users.read offline.access media.write tweet.moderate.write"
LINKEDIN_SCOPES = (
    "r_organization_social w_organization_social rw_organization_admin "
    "r_organization_social_feed w_organization_social_feed"
)
META_SCOPES = {
    "facebook": "pages_show_list,pages_read_engagement,pages_manage_posts,"
    "pages_manage_engagement,pages_read_user_content,business_management",
    "instagram": "pages_show_list,pages_read_engagement,instagram_basic,"
    "instagram_content_publish,instagram_manage_comments,business_management",
    "meta-ads": "ads_management,ads_read,business_management",
}
GRAPH_VERSION = "v25.0"
LINKEDIN_VERSION = "202603"
# The documented addresses (the tests point them at fakes that follow the same documents).
ENDPOINTS: dict[str, dict[str, str]] = {
    "linkedin": {
        "authorize": "https://www.linkedin.com/oauth/v2/authorization",
        "token": REFRESH_URL,
        "api": "https://api.linkedin.com",
    },
    "meta": {
        "authorize": f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
        "token": f"https://graph.facebook.com/{GRAPH_VERSION}/oauth/access_token",
        "api": "https://graph.facebook.com",
    },
    "x": {
        "authorize": "https://x.com/i/oauth2/authorize",
        "token": "https://api.x.com/2/oauth2/token",
        "api": "https://api.x.com",
    },
}
DEFAULT_API = {app: ends["api"] for app, ends in ENDPOINTS.items()}  # before tests repoint them


@dataclass
class Choice:
    """One page or organisation the member may connect."""

    label: str
    fields: dict[str, Any]
    secret: str


@dataclass
class Outcome:
    """The end of a callback: connected (``account``), or choices to pick from."""

    network: str
    account: str | None = None
    label: str = ""
    choices: list[Choice] = field(default_factory=list)
    state: str = ""


def secrets_path() -> str:
    return (os.environ.get("SECRETS_PATH") or "portevoix").strip("/")


def secret_ref(network: str, key: str) -> str:
    return f"ssm:/{secrets_path()}/{network}/{key}"


def app_parameter(network: str) -> str:
    return f"/{secrets_path()}/apps/{OAUTH_APP[network]}"


def app_credentials(network: str, redirect_uri: str) -> dict[str, str]:
    """The brand's developer app for ``network`` (client id and secret, in SSM)."""
    name = app_parameter(network)
    help_text = (
        f'create the SSM SecureString {name} holding {{"client_id": "...", "client_secret": '
        f'"..."}} from your developer app, whose redirect URI must be {redirect_uri}'
    )
    try:
        data = json.loads(secrets.resolve("ssm:" + name, fresh=True))
    except SecretError:
        raise ConnectError(f"no developer app for {network} yet: {help_text}") from None
    except ValueError:
        raise ConnectError(f"{name} is not JSON: {help_text}") from None
    if not isinstance(data, dict) or not data.get("client_id"):
        raise ConnectError(f"{name} has no client_id: {help_text}")
    return {
        "client_id": str(data["client_id"]),
        "client_secret": str(data.get("client_secret", "")),
    }


def _pkce() -> tuple[str, str]:
    verifier = _random.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _session(config: Any) -> Any:
    """An HTTP session for addresses a member typed: the SSRF guard applies."""
    import requests

    from portevoix.core.http import AddressPolicy, GuardedAdapter, user_agent

    session = requests.Session()
    session.trust_env = False  # a proxy would hide the real peer from the guard
    adapter = GuardedAdapter(AddressPolicy.from_config(config.fetch))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent(config.fetch.contact)
    return session


def _call(session: Any, method: str, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
    """One call of a flow: its JSON, or a ConnectError naming the step and the answer."""
    import requests

    from portevoix.core.errors import BlockedAddressError

    try:
        resp = session.request(method, url, timeout=(5, 20), allow_redirects=False, **kwargs)
    except BlockedAddressError as exc:
        raise ConnectError(f"{what}: {exc}") from None
    except requests.RequestException as exc:
        cause = exc.__context__ if isinstance(exc.__context__, BlockedAddressError) else exc
        raise ConnectError(f"{what}: {urlsplit(url).netloc} did not answer ({cause})") from None
    try:
        data = resp.json()
    except ValueError:
        data = None
    if resp.status_code >= 400 or not isinstance(data, dict):
        detail = _said(data) if isinstance(data, dict) else ""
        raise ConnectError(
            f"{what}: {urlsplit(url).netloc} answered HTTP {resp.status_code}"
            + (f" ({detail[:200]})" if detail else "")
        )
    return data


def _said(data: dict[str, Any]) -> str:
    """The error a provider put in its JSON (OAuth's, Graph's or LinkedIn's shape)."""
    error = data.get("error")
    if isinstance(error, dict):  # Graph: {"error": {"message": ...}}
        return str(error.get("message") or "")
    return str(data.get("error_description") or error or data.get("message") or "")


def instance_url(value: str) -> str:
    """A Mastodon instance as typed (``mastodon.social``, an address): its base URL."""
    value = value.strip().rstrip("/")
    if not value:
        raise ConnectError("the instance's address is missing (for example mastodon.social)")
    if "://" not in value:
        value = "https://" + value.lstrip("@").split("@")[-1]
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/"):
        raise ConnectError(f"{value!r} is not an instance's address (for example mastodon.social)")
    return f"{parts.scheme}://{parts.netloc}"


# -- the start ---------------------------------------------------------------------------


def begin(config: Any, network: str, email: str, redirect_uri: str, form: dict[str, str]) -> str:
    """Start an OAuth flow; return the address of the network's consent page."""
    if network not in ("mastodon", *OAUTH_APP):
        raise ConnectError(f"{network} does not connect through OAuth")
    state = _random.token_urlsafe(32)
    verifier, challenge = _pkce()
    record: dict[str, Any] = {
        "network": network,
        "email": email,
        "account": _reconnecting(config, network, form.get("account")),
        "verifier": verifier,
        "redirect_uri": redirect_uri,
        "expires_at": int((datetime.now(UTC) + LIFETIME).timestamp()),
    }
    params: dict[str, str] = {
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": state,
    }
    if network == "mastodon":
        instance = instance_url(form.get("instance", ""))
        app = _call(
            _session(config),
            "POST",
            instance + "/api/v1/apps",
            "registering Porte-voix on the instance",
            data={
                "client_name": f"Porte-voix ({config.brand.name})"[:60],
                "redirect_uris": redirect_uri,
                "scopes": MASTODON_SCOPES,
            },
        )
        if not app.get("client_id"):
            raise ConnectError(f"{instance} registered no app (no client_id in its answer)")
        record.update(
            instance=instance, client_id=app["client_id"], client_secret=app.get("client_secret")
        )
        params.update(client_id=app["client_id"], scope=MASTODON_SCOPES)
        params.update(code_challenge=challenge, code_challenge_method="S256")
        url = instance + "/oauth/authorize"
    else:
        app = app_credentials(network, redirect_uri)
        params["client_id"] = app["client_id"]
        ends = ENDPOINTS[OAUTH_APP[network]]
        if network == "x":
            params.update(scope=X_SCOPES, code_challenge=challenge, code_challenge_method="S256")
        elif network == "linkedin":
            params["scope"] = LINKEDIN_SCOPES
        elif network == "linkedin-ads":
            params["scope"] = LINKEDIN_ADS_SCOPES
        else:
            params["scope"] = META_SCOPES[network]
        url = ends["authorize"]
    store.put(store.with_key(store.connect_key(state), **record))
    return url + "?" + urlencode(params)


def _reconnecting(config: Any, network: str, key: str | None) -> str | None:
    """The configured account a "Reconnect" names (of this network), else None."""
    if network in AD_NETWORKS:
        ads = next((a for a in config.boosts.ad_accounts if a.id == key), None) if key else None
        return ads.id if ads is not None and ads.network == AD_NETWORKS[network] else None
    every = [*config.accounts, *config.disabled_accounts]
    account = next((a for a in every if a.key == key), None) if key else None
    return account.key if account is not None and account.network == network else None


# -- the callback --------------------------------------------------------------------------


def callback(config: Any, query: dict[str, str], email: str) -> Outcome:
    """The network sent the member back: check ``state``, exchange the code, connect."""
    state = query.get("state", "")
    record = (
        store.take(*store.connect_key(state)) if re.fullmatch(r"[\w-]{20,100}", state) else None
    )
    if record is None or record.get("email") != email:
        raise ConnectError(
            "this answer does not match a connection started here by you (wrong or used "
            "state): nothing was changed; start again from the Accounts page"
        )
    if int(record.get("expires_at") or 0) < datetime.now(UTC).timestamp():
        raise ConnectError("this connection took more than 15 minutes: start it again")
    network = record["network"]
    if query.get("error") or not query.get("code"):
        said = query.get("error_description") or query.get("error") or "no code"
        raise ConnectError(
            f"{network} did not grant access ({said[:200]}): nothing was changed; "
            "connect again and accept the permissions Porte-voix asks for"
        )
    session = _session(config)
    code = query["code"]
    if network == "mastodon":
        return _mastodon(config, session, record, code)
    app = app_credentials(network, record["redirect_uri"])
    if network == "x":
        return _x(config, session, record, code, app)
    if network == "linkedin":
        return _linkedin(config, session, record, code, app)
    if network == "linkedin-ads":
        return _linkedin_ads(config, session, record, code, app)
    if network == "meta-ads":
        return _meta_ads(config, session, record, code, app)
    return _meta(config, session, record, code, app)


def _exchange(
    session: Any,
    url: str,
    record: dict[str, Any],
    code: str,
    fields: dict[str, str],
    auth: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The authorization code for tokens at ``url`` (RFC 6749 4.1.3), with ``fields`` added."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": record["redirect_uri"],
    }
    return _call(
        session, "POST", url, "exchanging the code for a token", data={**data, **fields}, auth=auth
    )


def _mastodon(config: Any, session: Any, record: dict[str, Any], code: str) -> Outcome:
    instance = record["instance"]
    token = _exchange(
        session,
        instance + "/oauth/token",
        record,
        code,
        {
            "client_id": record["client_id"],
            "client_secret": record.get("client_secret") or "",
            "code_verifier": record["verifier"],
            "scope": MASTODON_SCOPES,
        },
    )
    access = token.get("access_token") or ""
    me = _call(
        session,
        "GET",
        instance + "/api/v1/accounts/verify_credentials",
        "reading the connected account",
        headers={"Authorization": f"Bearer {access}"},
    )
    handle = f"@{me.get('acct') or me.get('username')}@{urlsplit(instance).hostname}"
    fields = {"network": "mastodon", "instance": instance}
    return complete(config, record, Choice(handle, fields, access))


def _x(
    config: Any, session: Any, record: dict[str, Any], code: str, app: dict[str, str]
) -> Outcome:
    ends = ENDPOINTS["x"]
    secret = app.get("client_secret")
    # PKCE; a confidential client also proves itself with Basic auth (X's docs).
    token = _exchange(
        session,
        ends["token"],
        record,
        code,
        {"code_verifier": record["verifier"], "client_id": app["client_id"]},
        auth=(app["client_id"], secret) if secret else None,
    )
    if not token.get("refresh_token"):
        raise ConnectError(
            "X granted no refresh token (offline.access): the token would stop working in two "
            "hours; connect again and accept every permission"
        )
    me = _call(
        session,
        "GET",
        ends["api"] + "/2/users/me",
        "reading the connected account",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    user = me.get("data") or {}
    if not user.get("id"):
        raise ConnectError("X did not say which account was connected (no data.id)")
    stored = {
        "access_token": token["access_token"],
        "refresh_token": token["refresh_token"],
        "expires_at": _expires(token),
        "client_id": app["client_id"],
        "scope": token.get("scope") or X_SCOPES,
    }
    if secret:
        stored["client_secret"] = secret
    fields: dict[str, Any] = {"network": "x", "user_id": str(user["id"])}
    if ends["api"] != DEFAULT_API["x"]:
        fields["base"] = ends["api"]
    return complete(
        config, record, Choice(f"@{user.get('username', user['id'])}", fields, json.dumps(stored))
    )


def _expires(token: dict[str, Any], key: str = "expires_in") -> str | None:
    seconds = token.get(key)
    if not isinstance(seconds, int | float) or seconds <= 0:
        return None
    return iso(datetime.now(UTC) + timedelta(seconds=float(seconds)))


def _linkedin(
    config: Any, session: Any, record: dict[str, Any], code: str, app: dict[str, str]
) -> Outcome:
    ends = ENDPOINTS["linkedin"]
    token = _exchange(session, ends["token"], record, code, app)
    stored = {"access_token": token.get("access_token", ""), "expires_at": _expires(token)}
    if token.get("refresh_token"):  # granted to some apps: the client renews before expiry
        stored["refresh_token"] = token["refresh_token"]
        stored["refresh_expires_at"] = _expires(token, "refresh_token_expires_in")
        stored.update(client_id=app["client_id"], client_secret=app["client_secret"])
        if ends["token"] != REFRESH_URL:
            stored["token_url"] = ends["token"]  # where it renews (a fake, in tests)
    headers = {
        "Authorization": f"Bearer {stored['access_token']}",
        "LinkedIn-Version": LINKEDIN_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    acls = _call(
        session,
        "GET",
        ends["api"] + "/rest/organizationAcls",
        "listing the organisations you administer",
        params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
        headers=headers,
    )
    choices = []
    for element in acls.get("elements") or []:
        urn = str(element.get("organization") or "")
        if not re.fullmatch(r"urn:li:organization:\d+", urn):
            continue
        label = urn
        try:
            org = _call(
                session,
                "GET",
                f"{ends['api']}/rest/organizations/{urn.rsplit(':', 1)[1]}",
                "reading an organisation's name",
                headers=headers,
            )
            label = f"{org.get('localizedName') or urn} ({urn})"
        except ConnectError:
            pass  # the name is a nicety; the URN is enough to connect
        fields: dict[str, Any] = {"network": "linkedin", "organization": urn}
        if ends["api"] != DEFAULT_API["linkedin"]:
            fields["base"] = ends["api"]
        choices.append(Choice(label, fields, json.dumps(stored)))
    if not choices:
        raise ConnectError(
            "this LinkedIn member administers no organisation page: ask a super admin of the "
            "page to make you an administrator, then connect again"
        )
    return _pick(config, record, choices)


def _meta_token(
    session: Any, record: dict[str, Any], code: str, app: dict[str, str]
) -> dict[str, Any]:
    """The code for a user token, then that for a long-lived one (about 60 days)."""
    ends = ENDPOINTS["meta"]
    short = _call(
        session,
        "GET",
        ends["token"],
        "exchanging the code for a token",
        params={
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": record["redirect_uri"],
            "code": code,
        },
    )
    return _call(
        session,
        "GET",
        ends["token"],
        "exchanging for a long-lived token",
        params={
            "grant_type": "fb_exchange_token",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "fb_exchange_token": short.get("access_token", ""),
        },
    )


def _meta(
    config: Any, session: Any, record: dict[str, Any], code: str, app: dict[str, str]
) -> Outcome:
    ends = ENDPOINTS["meta"]
    long = _meta_token(session, record, code, app)
    network = record["network"]
    url = f"{ends['api']}/{GRAPH_VERSION}/me/accounts"
    params: dict[str, Any] | None = {
        "fields": "id,name,access_token,instagram_business_account{id,username}",
        "limit": 100,
        "access_token": long.get("access_token", ""),
    }
    choices: list[Choice] = []
    for _ in range(10):  # pages of Pages
        found = _call(session, "GET", url, "listing your Facebook Pages", params=params)
        for page in found.get("data") or []:
            if not page.get("access_token") or not str(page.get("id", "")).isdigit():
                continue
            fields: dict[str, Any] = {"network": network}
            if ends["api"] != DEFAULT_API["meta"]:
                fields["base"] = ends["api"]
            if network == "facebook":
                fields["page_id"] = str(page["id"])
                label = str(page.get("name") or page["id"])
            else:
                insta = page.get("instagram_business_account") or {}
                if not str(insta.get("id", "")).isdigit():
                    continue
                fields["user_id"] = str(insta["id"])
                label = f"@{insta.get('username') or insta['id']} ({page.get('name', '')})"
            choices.append(Choice(label, fields, str(page["access_token"])))
        url = (found.get("paging") or {}).get("next")
        params = None  # the next page's address carries its parameters
        if not url:
            break
    if not choices:
        raise ConnectError(
            "no Facebook Page was shared with Porte-voix"
            if network == "facebook"
            else "none of your Pages has an Instagram professional account linked: link one "
            "in the Page's settings, then connect again"
        )
    return _pick(config, record, choices)


def _meta_ads(
    config: Any, session: Any, record: dict[str, Any], code: str, app: dict[str, str]
) -> Outcome:
    """The member's ad accounts (``/me/adaccounts``), each with its saved audiences."""
    ends = ENDPOINTS["meta"]
    long = _meta_token(session, record, code, app)
    token = long.get("access_token", "")
    stored = json.dumps({"access_token": token, "expires_at": _expires(long)})
    api = f"{ends['api']}/{GRAPH_VERSION}"
    found = _call(
        session,
        "GET",
        f"{api}/me/adaccounts",
        "listing your ad accounts",
        params={"fields": "id,name,currency,account_status", "limit": 100, "access_token": token},
    )
    choices = []
    for account in found.get("data") or []:
        act = str(account.get("id") or "")
        if not re.fullmatch(r"act_\d+", act):
            continue
        try:
            saved = _call(
                session,
                "GET",
                f"{api}/{act}/saved_audiences",
                "reading its saved audiences",
                params={"fields": "id,name", "limit": 100, "access_token": token},
            )
        except ConnectError:
            saved = {}
        audiences = {
            _slug(a.get("name") or a["id"]): str(a["id"])
            for a in saved.get("data") or []
            if str(a.get("id", "")).isdigit()
        }
        fields = {"network": "meta", "ad_account": act, "audiences": audiences}
        choices.append(_ad_choice("meta", fields, account, act, stored))
    if not choices:
        raise ConnectError(
            "this Facebook user manages no ad account: ask the Business's admin to assign "
            "you one (Business settings > Ad accounts), then connect again"
        )
    return _pick(config, record, choices)


def _linkedin_ads(
    config: Any, session: Any, record: dict[str, Any], code: str, app: dict[str, str]
) -> Outcome:
    """The member's active sponsored accounts, each with its first campaign group."""
    ends = ENDPOINTS["linkedin"]
    token = _exchange(session, ends["token"], record, code, app)
    stored = json.dumps(
        {"access_token": token.get("access_token", ""), "expires_at": _expires(token)}
    )
    headers = {
        "Authorization": f"Bearer {token.get('access_token', '')}",
        "LinkedIn-Version": LINKEDIN_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    found = _call(
        session,
        "GET",
        ends["api"] + "/rest/adAccounts?q=search&search=(status:(values:List(ACTIVE)))",
        "listing your ad accounts",
        headers=headers,
    )
    choices = []
    for account in found.get("elements") or []:
        number = str(account.get("id") or "")
        if not number.isdigit():
            continue
        groups = _call(
            session,
            "GET",
            f"{ends['api']}/rest/adAccounts/{number}/adCampaignGroups"
            "?q=search&search=(status:(values:List(ACTIVE,DRAFT)))",
            "reading its campaign groups",
            headers=headers,
        )
        group = next((str(g["id"]) for g in groups.get("elements") or [] if g.get("id")), None)
        if group is None:
            continue
        fields = {"network": "linkedin", "ad_account": number, "campaign_group": group}
        choices.append(_ad_choice("linkedin", fields, account, number, stored))
    if not choices:
        raise ConnectError(
            "this LinkedIn member has no active ad account with a campaign group: create them "
            "in Campaign Manager (or ask its admin for a role), then connect again"
        )
    return _pick(config, record, choices)


def _ad_choice(
    app: str, fields: dict[str, Any], account: dict[str, Any], number: str, secret: str
) -> Choice:
    """One ad account offered: its name, number and currency; the API base when not the default."""
    api = ENDPOINTS[app]["api"]
    if api != DEFAULT_API[app]:
        fields["base"] = api
    label = f"{account.get('name') or number} ({number}, {account.get('currency', '?')})"
    return Choice(label, fields, secret)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:40] or "audience"


def _pick(config: Any, record: dict[str, Any], choices: list[Choice]) -> Outcome:
    """One choice connects at once; several are kept (15 minutes) for the member to pick."""
    if len(choices) == 1:
        return complete(config, record, choices[0])
    state = _random.token_urlsafe(32)
    keep = {
        **{k: v for k, v in record.items() if k not in ("PK", "SK")},
        "choices": [{"label": c.label, "fields": c.fields, "secret": c.secret} for c in choices],
        "expires_at": int((datetime.now(UTC) + LIFETIME).timestamp()),
    }
    store.put(store.with_key(store.connect_key(state), **keep))
    return Outcome(record["network"], choices=choices, state=state)


def choose(config: Any, state: str, index: str, email: str) -> Outcome:
    """The member picked one of the pages or organisations."""
    record = (
        store.take(*store.connect_key(state)) if re.fullmatch(r"[\w-]{20,100}", state) else None
    )
    if (
        record is None
        or record.get("email") != email
        or not record.get("choices")
        or int(record.get("expires_at") or 0) < datetime.now(UTC).timestamp()
    ):
        raise ConnectError("this choice has expired or was not offered to you: connect again")
    try:
        picked = record["choices"][int(index)]
    except (ValueError, IndexError):
        raise ConnectError("pick one of the listed accounts") from None
    return complete(config, record, Choice(picked["label"], picked["fields"], picked["secret"]))


# -- Bluesky: an app password ---------------------------------------------------------------


def bluesky(config: Any, form: dict[str, str], email: str) -> Outcome:
    """Check a handle and app password by opening a session; connect on success."""
    handle = form.get("handle", "").strip().lstrip("@")
    password = form.get("password", "").strip()
    service = (form.get("service") or "https://bsky.social").strip().rstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9.-]{3,253}|did:[a-z]+:[\w.:%-]+", handle):
        raise ConnectError(f"{handle!r} is not a Bluesky handle (for example brand.bsky.social)")
    if not password:
        raise ConnectError("the app password is missing (Bluesky: Settings > App passwords)")
    if not urlsplit(service).hostname or urlsplit(service).scheme not in ("https", "http"):
        raise ConnectError(f"{service!r} is not a server address (https://bsky.social)")
    session = _call(
        _session(config),
        "POST",
        service + "/xrpc/com.atproto.server.createSession",
        "opening a session with this handle and app password",
        json={"identifier": handle, "password": password},
    )
    if _scope(session.get("accessJwt", "")) == "com.atproto.access":
        raise ConnectError(
            "this is the account's own password: create an app password instead "
            "(Bluesky: Settings > Privacy and security > App passwords) and use that"
        )
    fields: dict[str, Any] = {"network": "bluesky", "handle": session.get("handle") or handle}
    if service != "https://bsky.social":
        fields["service"] = service
    record = {"network": "bluesky", "email": email, "account": form.get("account")}
    record["account"] = _reconnecting(config, "bluesky", record["account"])
    return complete(config, record, Choice("@" + fields["handle"], fields, password))


def _scope(jwt: str) -> str | None:
    """The ``scope`` claim of a session token (an app password's is ``com.atproto.appPass``)."""
    try:
        payload = jwt.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["scope"]
    except (IndexError, ValueError, KeyError, TypeError):
        return None


# -- the end: the secret to SSM, the account to the configuration ----------------------------


def complete(config: Any, record: dict[str, Any], choice: Choice) -> Outcome:
    """Store the token and add (or update) the account in the configuration."""
    if record["network"] in AD_NETWORKS:
        return _complete_ads(config, record, choice)
    text, version = configstore.current()
    network = choice.fields["network"]
    key = record.get("account") or _new_key(config, network, choice.fields)
    ref = secret_ref(network, key)
    secrets.store(ref, choice.secret)

    def change(data: dict[str, Any]) -> None:
        accounts = data.setdefault("accounts", []) or []
        data["accounts"] = accounts
        entry = next((a for a in accounts if (a.get("id") or a.get("network")) == key), None)
        if entry is None:
            entry = {"network": network} if key == network else {"network": network, "id": key}
            accounts.append(entry)
        entry.update(choice.fields)
        entry["secret"] = ref
        entry.pop("enabled", None)

    new_text = configstore.edited(text, change)
    configstore.save(
        new_text,
        based_on=version,
        by=record.get("email") or "studio",
        note=f"connected {network} {choice.label}",
    )
    return Outcome(network, account=key, label=choice.label)


def _complete_ads(config: Any, record: dict[str, Any], choice: Choice) -> Outcome:
    """An ad account into ``boosts.ad_accounts``: it may boost every account of its networks."""
    from portevoix.core.compiled import AD_NETWORKS as BOOSTED

    network = record["network"]
    fields = dict(choice.fields)
    kind = fields.pop("network")
    existing = next(
        (a for a in config.boosts.ad_accounts if a.ad_account == fields["ad_account"]), None
    )
    key = record.get("account") or (existing.id if existing else None)
    if key is None:
        taken = {a.id for a in config.boosts.ad_accounts}
        key = next(
            c for c in (network, *(f"{network}-{n}" for n in range(2, 100))) if c not in taken
        )
    boosted = [a.key for a in config.all_accounts if a.network in BOOSTED[kind]]
    if not boosted:
        raise ConnectError(
            f"connect a {' or '.join(BOOSTED[kind])} account first: the ad account pays for "
            "boosts of its posts"
        )
    text, version = configstore.current()
    ref = secret_ref(network, key)
    secrets.store(ref, choice.secret)
    found = fields.pop("audiences", {})

    def change(data: dict[str, Any]) -> None:
        rules = data.get("boosts") or {}
        data["boosts"] = rules
        ads = rules.get("ad_accounts") or []
        rules["ad_accounts"] = ads
        entry = next((a for a in ads if a.get("id") == key), None)
        if entry is None:
            entry = {"id": key, "network": kind, "boosts": boosted}
            ads.append(entry)
        entry.update(fields)
        entry["audiences"] = {**found, **(entry.get("audiences") or {})}
        entry["secret"] = ref
        entry.pop("enabled", None)

    new_text = configstore.edited(text, change)
    configstore.save(
        new_text,
        based_on=version,
        by=record.get("email") or "studio",
        note=f"connected the ad account {choice.label}",
    )
    return Outcome(network, account=key, label=choice.label)


IDENTITY = {
    "mastodon": "instance",
    "bluesky": "handle",
    "linkedin": "organization",
    "facebook": "page_id",
    "instagram": "user_id",
    "x": "user_id",
}


def _new_key(config: Any, network: str, fields: dict[str, Any]) -> str:
    """The account's id: the one already configured for the same page or handle (connecting
    it again renews its token), else the network's name or one derived from it."""
    every = [*config.accounts, *config.disabled_accounts]
    name = IDENTITY[network]
    for account in every:
        if account.network == network and str(getattr(account, name, "")).rstrip("/") == str(
            fields.get(name, "")
        ).rstrip("/"):
            return account.key
    taken = {a.key for a in every}
    for candidate in (network, *(f"{network}-{n}" for n in range(2, 100))):
        if candidate not in taken:
            return candidate
    raise ConnectError(f"too many {network} accounts")
