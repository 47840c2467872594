"""Paid boosts of published posts: Meta's Marketing API and LinkedIn's Advertising API.

A boost is a few objects created one after the other (``STEPS``), each named
after the boost so that it can be found again when an answer is lost, then
one activation. Everything that could spend is created paused or under a
paused campaign: until ``activate``, a duplicate would cost nothing, and
``activate`` only ever touches the campaign the boost recorded.

Meta (developers.facebook.com/docs/marketing-api): ``POST act_<id>/campaigns``
(``objective=OUTCOME_ENGAGEMENT``, ``special_ad_categories=[]``,
``is_adset_budget_sharing_enabled=false`` as the budget is the ad set's),
``POST act_<id>/adsets`` (``lifetime_budget`` in the currency's minor units
with ``end_time``; ``targeting`` read from the saved audience; the EU's DSA
``dsa_beneficiary``/``dsa_payor``), ``POST act_<id>/adcreatives`` (the
Page post's ``object_story_id``, or an Instagram post's
``source_instagram_media_id`` with ``instagram_user_id``), ``POST
act_<id>/ads``; figures from ``GET <campaign>/insights``.

LinkedIn (learn.microsoft.com/linkedin/marketing, versioned ``/rest`` API):
``POST /rest/adAccounts/<id>/adCampaigns`` (``SPONSORED_UPDATES``,
``totalBudget``, ``runSchedule``, ``targetingCriteria``) answered 201 with
the id in ``x-restli-id``, ``POST /rest/adAccounts/<id>/creatives`` with the
organisation post as ``content.reference``, a ``PARTIAL_UPDATE`` to set the
campaign ``ACTIVE``; figures from ``GET /rest/adAnalytics``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from portevoix.core import secrets
from portevoix.core.http import AddressPolicy
from portevoix.networks.base import AuthError, Rejected
from portevoix.networks.http import ApiClient


@dataclass
class Day:
    """One day's figures of a boost, as the network reports them."""

    day: str  # YYYY-MM-DD, the ad account's time zone
    spend: int  # minor units
    impressions: int
    clicks: int


@dataclass
class Totals:
    spend: int
    reach: int | None
    impressions: int
    clicks: int


def minor(amount: Any, digits: int) -> int:
    """``"12.34"`` -> 1234 (for two decimals): figures come as decimal strings."""
    from decimal import Decimal, InvalidOperation

    try:
        return int((Decimal(str(amount or 0)) * 10**digits).to_integral_value())
    except InvalidOperation:
        return 0


def major(cents: int, digits: int) -> str:
    return f"{cents / 10**digits:.{digits}f}"


def _int(value: Any) -> int:
    try:
        return int(float(value or 0))
    except (TypeError, ValueError):
        return 0


class Ads:
    """What both networks share: the account, its token, the HTTP client."""

    network = ""
    STEPS: tuple[str, ...] = ()

    def __init__(self, ads: Any, secret: Any, client: ApiClient, digits: int = 2):
        self.ads = ads
        self.secret = secret
        self.http = client
        self.digits = digits

    @staticmethod
    def name_of(boost: dict[str, Any], step: str = "campaign") -> str:
        """Each object's name carries the boost id: how a lost creation is found again."""
        return f"Porte-voix boost {boost['boost_id']}" + ("" if step == "campaign" else f" {step}")

    def check(self) -> str:
        """The ad account's currency (it must be the configured one)."""
        raise NotImplementedError

    def prepare(self, boost: dict[str, Any]) -> dict[str, Any]:
        """What the steps need that is read once (Meta: the saved audience's targeting)."""
        return {}

    def find(self, step: str, boost: dict[str, Any], done: dict[str, str]) -> str | None:
        raise NotImplementedError

    def create(
        self, step: str, boost: dict[str, Any], done: dict[str, str], ready: dict[str, Any]
    ) -> str:
        raise NotImplementedError

    def activate(self, done: dict[str, str]) -> None:
        raise NotImplementedError

    def days(self, done: dict[str, str], since: date, until: date) -> list[Day]:
        raise NotImplementedError

    def totals(self, done: dict[str, str], since: date, until: date) -> Totals:
        """Since the start: reach is not a sum of days."""
        raise NotImplementedError


class MetaAds(Ads):
    network = "meta"
    STEPS = ("campaign", "adset", "creative", "ad")

    def _call(self, method: str, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        from portevoix.networks.graph import AUTH_CODES, _codes

        query = {"access_token": _bearer(self.secret())}
        if method == "GET":
            query.update(params or {})
            body = None
        else:
            body = {k: v for k, v in (params or {}).items() if v is not None}
        url = f"{self.ads.base.rstrip('/')}/{self.ads.graph_version}/{path.lstrip('/')}"
        try:
            resp = self.http.request(method, url, params=query, data=body, **kw)
        except Rejected as exc:
            if {int(c) for c in _codes(str(exc))} & AUTH_CODES:
                raise AuthError(self.ads.id, str(exc), status=exc.status) from None
            raise
        return resp.json() if resp.content else {}

    def check(self) -> str:
        data = self._call("GET", self.ads.ad_account, {"fields": "currency,account_status,name"})
        if data.get("account_status") not in (None, 1):
            raise Rejected(
                self.ads.id,
                f"the ad account {self.ads.ad_account} is not active "
                f"(account_status {data.get('account_status')}): settle it in Ads Manager",
            )
        return str(data.get("currency") or "")

    def prepare(self, boost: dict[str, Any]) -> dict[str, Any]:
        saved = self.ads.audiences[boost["audience"]]
        data = self._call("GET", saved, {"fields": "targeting,name"})
        targeting = dict(data.get("targeting") or {})
        if not targeting:
            raise Rejected(self.ads.id, f"the saved audience {saved} has no targeting")
        # The boosted post's own network only (a Page post is not an Instagram ad).
        targeting["publisher_platforms"] = [boost["network"]]
        return {"targeting": targeting}

    def _named(self, path: str, name: str, params: dict[str, Any] | None = None) -> str | None:
        data = self._call("GET", path, {"fields": "id,name", "limit": 100, **(params or {})})
        return next((str(o["id"]) for o in data.get("data") or [] if o.get("name") == name), None)

    def find(self, step: str, boost: dict[str, Any], done: dict[str, str]) -> str | None:
        name = self.name_of(boost, step)
        act = self.ads.ad_account
        if step == "campaign":
            rule = [{"field": "name", "operator": "EQUAL", "value": name}]
            return self._named(f"{act}/campaigns", name, {"filtering": json.dumps(rule)})
        if step == "adset":
            return self._named(f"{done['campaign']}/adsets", name)
        if step == "ad":
            return self._named(f"{done['adset']}/ads", name)
        # A creative spends nothing: a second one after a lost answer is harmless.
        return None

    def create(
        self, step: str, boost: dict[str, Any], done: dict[str, str], ready: dict[str, Any]
    ) -> str:
        act = self.ads.ad_account
        name = self.name_of(boost, step)
        if step == "campaign":
            params = {
                "name": name,
                "objective": "OUTCOME_ENGAGEMENT",
                "status": "PAUSED",  # activated last, once everything under it exists
                "special_ad_categories": "[]",
                "is_adset_budget_sharing_enabled": "false",
            }
            path = f"{act}/campaigns"
        elif step == "adset":
            params = {
                "name": name,
                "campaign_id": done["campaign"],
                "lifetime_budget": str(boost["budget"]),
                "start_time": boost["start"],
                "end_time": boost["end"],
                "billing_event": "IMPRESSIONS",
                "optimization_goal": "POST_ENGAGEMENT",
                "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
                "targeting": json.dumps(ready["targeting"]),
                "dsa_beneficiary": self.ads.dsa_beneficiary,
                "dsa_payor": self.ads.dsa_payor,
                "status": "ACTIVE",
            }
            path = f"{act}/adsets"
        elif step == "creative":
            params = {"name": name}
            if boost["network"] == "instagram":
                params["source_instagram_media_id"] = boost["ref"]
                params["instagram_user_id"] = boost["instagram_user_id"]
                params["object_id"] = boost.get("page_id")
            else:
                params["object_story_id"] = boost["ref"]
            path = f"{act}/adcreatives"
        elif step == "ad":
            params = {
                "name": name,
                "adset_id": done["adset"],
                "creative": json.dumps({"creative_id": done["creative"]}),
                "status": "ACTIVE",
            }
            path = f"{act}/ads"
        else:
            raise ValueError(step)
        return str(self._call("POST", path, params, idempotent=False)["id"])

    def activate(self, done: dict[str, str]) -> None:
        self._call("POST", done["campaign"], {"status": "ACTIVE"}, idempotent=True)

    def days(self, done: dict[str, str], since: date, until: date) -> list[Day]:
        params: dict[str, Any] = {
            "fields": "spend,impressions,clicks",
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "time_increment": 1,
            "limit": 100,
        }
        out = []
        for _ in range(10):
            data = self._call("GET", f"{done['campaign']}/insights", params)
            out += [
                Day(
                    str(row.get("date_start")),
                    minor(row.get("spend"), self.digits),
                    _int(row.get("impressions")),
                    _int(row.get("clicks")),
                )
                for row in data.get("data") or []
            ]
            after = ((data.get("paging") or {}).get("cursors") or {}).get("after")
            if not after or not (data.get("paging") or {}).get("next"):
                break
            params["after"] = after
        return out

    def totals(self, done: dict[str, str], since: date, until: date) -> Totals:
        data = self._call(
            "GET",
            f"{done['campaign']}/insights",
            {"fields": "spend,reach,impressions,clicks", "date_preset": "maximum"},
        )
        row = (data.get("data") or [{}])[0]
        return Totals(
            minor(row.get("spend"), self.digits),
            _int(row.get("reach")) if row.get("reach") is not None else None,
            _int(row.get("impressions")),
            _int(row.get("clicks")),
        )


def _urn_list(values: list[str]) -> str:
    return "List(" + ",".join(quote(v, safe="") for v in values) + ")"


def _restli_date(d: date) -> str:
    return f"(year:{d.year},month:{d.month},day:{d.day})"


class LinkedInAds(Ads):
    network = "linkedin"
    STEPS = ("campaign", "creative")

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        headers = {
            "Authorization": f"Bearer {_bearer(self.secret())}",
            "LinkedIn-Version": self.ads.api_version,
            "X-Restli-Protocol-Version": "2.0.0",
            **kw.pop("headers", {}),
        }
        return self.http.request(
            method, f"{self.ads.base.rstrip('/')}{path}", headers=headers, **kw
        )

    @property
    def _root(self) -> str:
        return f"/rest/adAccounts/{self.ads.ad_account}"

    def _campaign_urn(self, done: dict[str, str]) -> str:
        return f"urn:li:sponsoredCampaign:{done['campaign']}"

    def check(self) -> str:
        data = self._call("GET", self._root).json()
        if data.get("status") not in (None, "ACTIVE"):
            raise Rejected(
                self.ads.id,
                f"the ad account {self.ads.ad_account} is {data.get('status')}: "
                "settle it in Campaign Manager",
            )
        return str(data.get("currency") or "")

    def find(self, step: str, boost: dict[str, Any], done: dict[str, str]) -> str | None:
        if step == "campaign":
            name = self.name_of(boost)
            search = f"(name:(values:{_urn_list([name])}))"
            data = self._call("GET", f"{self._root}/adCampaigns?q=search&search={search}").json()
            return next(
                (str(c["id"]) for c in data.get("elements") or [] if c.get("name") == name), None
            )
        campaigns = _urn_list([self._campaign_urn(done)])
        data = self._call("GET", f"{self._root}/creatives?q=criteria&campaigns={campaigns}").json()
        for c in data.get("elements") or []:
            if ((c.get("content") or {}).get("reference")) == boost["ref"]:
                return str(c["id"])
        return None

    def create(
        self, step: str, boost: dict[str, Any], done: dict[str, str], ready: dict[str, Any]
    ) -> str:
        if step == "campaign":
            language, country = self.ads.locale.split("_")
            start = datetime.fromisoformat(boost["start"])
            end = datetime.fromisoformat(boost["end"])
            body = {
                "account": f"urn:li:sponsoredAccount:{self.ads.ad_account}",
                "campaignGroup": f"urn:li:sponsoredCampaignGroup:{self.ads.campaign_group}",
                "name": self.name_of(boost),
                "type": "SPONSORED_UPDATES",
                "costType": "CPM",
                "objectiveType": "ENGAGEMENT",
                "offsiteDeliveryEnabled": False,
                "locale": {"country": country, "language": language},
                "runSchedule": {
                    "start": int(start.timestamp() * 1000),
                    "end": int(end.timestamp() * 1000),
                },
                "totalBudget": {
                    "amount": major(boost["budget"], self.digits),
                    "currencyCode": boost["currency"],
                },
                "targetingCriteria": self.ads.audiences[boost["audience"]],
                "status": "PAUSED",  # activated last, once its creative exists
            }
            resp = self._call("POST", f"{self._root}/adCampaigns", json=body, idempotent=False)
        else:
            body = {
                "campaign": self._campaign_urn(done),
                "content": {"reference": boost["ref"]},
                "intendedStatus": "ACTIVE",
            }
            resp = self._call("POST", f"{self._root}/creatives", json=body, idempotent=False)
        created = resp.headers.get("x-restli-id") or (resp.json() if resp.content else {}).get("id")
        if not created:
            raise Rejected(self.ads.id, f"LinkedIn created the {step} but did not name it")
        return str(created).rsplit(":", 1)[-1] if step == "campaign" else str(created)

    def activate(self, done: dict[str, str]) -> None:
        self._call(
            "POST",
            f"{self._root}/adCampaigns/{done['campaign']}",
            json={"patch": {"$set": {"status": "ACTIVE"}}},
            headers={"X-RestLi-Method": "PARTIAL_UPDATE"},
            idempotent=True,
        )

    def _analytics(self, done: dict[str, str], granularity: str, since: date, until: date) -> Any:
        fields = (
            "costInLocalCurrency,impressions,clicks,dateRange"
            if granularity == "DAILY"
            else "costInLocalCurrency,impressions,clicks,approximateMemberReach"
        )
        query = (
            f"q=analytics&pivot=CAMPAIGN&timeGranularity={granularity}"
            f"&dateRange=(start:{_restli_date(since)},end:{_restli_date(until)})"
            f"&campaigns={_urn_list([self._campaign_urn(done)])}&fields={fields}"
        )
        return self._call("GET", f"/rest/adAnalytics?{query}").json().get("elements") or []

    def days(self, done: dict[str, str], since: date, until: date) -> list[Day]:
        out = []
        for row in self._analytics(done, "DAILY", since, until):
            start = (row.get("dateRange") or {}).get("start") or {}
            try:
                day = date(int(start["year"]), int(start["month"]), int(start["day"]))
            except (KeyError, TypeError, ValueError):
                continue
            out.append(
                Day(
                    day.isoformat(),
                    minor(row.get("costInLocalCurrency"), self.digits),
                    _int(row.get("impressions")),
                    _int(row.get("clicks")),
                )
            )
        return out

    def totals(self, done: dict[str, str], since: date, until: date) -> Totals:
        rows = self._analytics(done, "ALL", since, until)
        row = rows[0] if rows else {}
        reach = row.get("approximateMemberReach")
        return Totals(
            minor(row.get("costInLocalCurrency"), self.digits),
            _int(reach) if reach is not None else None,
            _int(row.get("impressions")),
            _int(row.get("clicks")),
        )


def _bearer(secret: str) -> str:
    """The access token, bare or inside the connected account's JSON."""
    text = secret.strip()
    if text.startswith("{"):
        try:
            return str(json.loads(text).get("access_token") or "")
        except ValueError:
            return text
    return text


def build(ads: Any, config: Any) -> Ads:
    """A ready client for one configured ad account."""
    from babel import numbers

    cls = MetaAds if ads.network == "meta" else LinkedInAds
    if ads.network == "meta":
        from portevoix.networks.graph import graph_error, graph_rate_wait

        readers: dict[str, Any] = {"error_reader": graph_error, "rate_reader": graph_rate_wait}
    else:
        readers = {}
    client = ApiClient(ads.id, policy=AddressPolicy.from_config(config.fetch), **readers)
    digits = numbers.get_currency_precision(config.boosts.currency)
    return cls(ads, secrets.Secret(ads.secret), client, digits)
