"""Paid boosts: asked for on a published post, approved with the budget shown, created once.

Meta's Marketing API and LinkedIn's Advertising API are fakes that refuse what
the documentation says they refuse (see ``tests/fakes.py``); a lossy proxy
drops answers after the work is done, as a network cut would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from portevoix.core import store
from portevoix.publishing import boosts, posts
from tests.fakes import FakeGraph, FakeLinkedIn, FakeMetaAds, linkedin_ads
from tests.helpers import SENDER, LossyProxy
from tests.integration.test_digest import parts, sent_messages
from tests.integration.test_workflow import form_token, http

CAMILLE, ALEX = "camille@brand.example", "alex@brand.example"


@pytest.fixture
def shop(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto, a Page and an Instagram account on Meta, a LinkedIn page, their ad accounts."""
    from moto import mock_aws

    from portevoix.core import aws, runtime, secrets
    from portevoix_local.stack import create_table

    graph, meta, li = FakeGraph(), FakeMetaAds(), FakeLinkedIn()
    li_ads = linkedin_ads(li)
    proxy = LossyProxy(meta.url)
    for name, value in {
        "PAGE_TOKEN": FakeGraph.TOKEN,
        "ADS_TOKEN": FakeMetaAds.TOKEN,
        "LI_TOKEN": FakeLinkedIn.TOKEN,
        "CONFIG_PARAMETER": "/portevoix/config",
        "APPROVAL_BASE_URL": "https://approve.example",
    }.items():
        monkeypatch.setenv(name, value)
    secrets.forget()
    aws.reset()
    runtime.reset()
    with mock_aws():
        create_table("portevoix-test")
        aws.client("ses").verify_email_identity(EmailAddress=SENDER)
        env: dict[str, Any] = {"graph": graph, "meta": meta, "li": li, "li_ads": li_ads}
        env["proxy"] = proxy

        def configure(**boost_rules: Any) -> Any:
            data = {
                "brand": {"name": "Cyclia"},
                "sender": SENDER,
                "team": [
                    {"email": CAMILLE, "language": "fr"},
                    {"email": ALEX, "language": "en"},
                ],
                "approvers": [ALEX],
                "fetch": {"allow_private_networks": True},
                "accounts": [
                    {
                        "network": "facebook",
                        "id": "fb",
                        "page_id": FakeGraph.PAGE,
                        "base": graph.url,
                        "secret": "env:PAGE_TOKEN",
                    },
                    {
                        "network": "instagram",
                        "id": "ig",
                        "user_id": FakeGraph.IG,
                        "base": graph.url,
                        "secret": "env:PAGE_TOKEN",
                    },
                    {
                        "network": "linkedin",
                        "id": "li",
                        "organization": FakeLinkedIn.ORG,
                        "base": li.url,
                        "secret": "env:LI_TOKEN",
                    },
                ],
                "boosts": {
                    "currency": "EUR",
                    "max_budget": 200,
                    "ad_accounts": [
                        {
                            "id": "meta-ads",
                            "network": "meta",
                            "ad_account": FakeMetaAds.ACT,
                            "boosts": ["fb", "ig"],
                            "secret": "env:ADS_TOKEN",
                            "audiences": {"fans-fr": FakeMetaAds.AUDIENCE},
                            "dsa_beneficiary": "Cyclia SAS",
                            "dsa_payor": "Cyclia SAS",
                            "base": proxy.url,
                        },
                        {
                            "id": "li-ads",
                            "network": "linkedin",
                            "ad_account": "5001",
                            "campaign_group": "600",
                            "boosts": ["li"],
                            "secret": "env:LI_TOKEN",
                            "audiences": {
                                "france": {
                                    "include": {
                                        "and": [
                                            {
                                                "or": {
                                                    "urn:li:adTargetingFacet:locations": [
                                                        "urn:li:geo:105015875"
                                                    ]
                                                }
                                            }
                                        ]
                                    }
                                }
                            },
                            "base": li.url,
                        },
                    ],
                    **boost_rules,
                },
            }
            aws.client("ssm").put_parameter(
                Name="/portevoix/config",
                Value=yaml.safe_dump(data),
                Type="String",
                Tier="Advanced",
                Overwrite=True,
            )
            runtime.reset()
            return runtime.config()

        env["configure"] = configure
        yield env
    for server in (graph, meta, li):
        server.close()
    proxy.close()
    aws.reset()
    runtime.reset()


def published(config: Any, account: str, text: str = "Le vélo Urban 3 est là") -> str:
    """A post published on ``account`` through the real publish path; its id."""
    draft = posts.parse_draft(
        {"author": CAMILLE, "title": "Urban 3", "variants": {account: {"text": text}}}, config
    )
    post = posts.create(config, draft)
    posts.publish_account(config, post["post_id"], account, attempt="1")
    return post["post_id"]


def boostable(config: Any, meta: FakeMetaAds, text: str = "Le vélo Urban 3 est là") -> str:
    """A Facebook post published, which Meta then knows as a Page post; its id."""
    post_id = published(config, "fb", text)
    meta.stories.add(store.get(*store.publication_key(post_id, "fb"))["ref"])
    return post_id


def boost_link(to: str = ALEX) -> str:
    for msg in reversed(sent_messages()):
        if msg["To"] == to:
            found = re.search(r"https://approve\.example/b/([\w-]+)", parts(msg)[0])
            if found:
                return found.group(1)
    raise AssertionError(f"no boost link emailed to {to}")


def decide(link: str, decision: str = "approve", comment: str = "") -> dict[str, Any]:
    page = http("GET", link, kind="b", lang="en")
    form = {"form_token": form_token(page["body"]), "decision": decision, "comment": comment}
    return http("POST", link, form, kind="b", lang="en")


def test_a_facebook_boost_is_approved_with_its_budget_and_created_once_despite_a_lost_answer(
    shop: dict[str, Any],
) -> None:
    config = shop["configure"]()
    meta: FakeMetaAds = shop["meta"]
    post_id = boostable(config, meta)
    ref = store.get(*store.publication_key(post_id, "fb"))["ref"]

    boost = boosts.request(
        config, post_id, "fb", budget="49.90", days=7, audience="fans-fr", by=CAMILLE
    )
    assert boost["status"] == "awaiting_approval" and boost["budget"] == 4990
    assert meta.count("campaign") == 0  # nothing exists, let alone spends, before approval

    link = boost_link()
    page = http("GET", link, kind="b", lang="en")
    assert page["statusCode"] == 200
    assert "€49.90" in page["text"] and "fans-fr" in page["text"] and CAMILLE in page["text"]
    assert meta.count("campaign") == 0  # opening the page decides nothing

    # The answer to the ad set's creation is lost: the launch finds it by name, goes on.
    shop["proxy"].drop("POST", r"/act_\d+/adsets\?", times=1)
    done = decide(link)
    assert done["statusCode"] == 200 and "running" in done["text"]
    assert [rule[2] for rule in shop["proxy"].drops] == [0]  # the answer was lost
    final = boosts.get(boost["boost_id"])
    assert final["status"] == "active" and final["decided_by"] == ALEX
    assert meta.count("campaign") == meta.count("adset") == meta.count("ad") == 1
    assert meta.running() == [final["steps"]["campaign"]]
    adset = meta.objects[final["steps"]["adset"]]
    assert adset["lifetime_budget"] == "4990" and adset["dsa_beneficiary"] == "Cyclia SAS"
    assert meta.objects[final["steps"]["creative"]]["object_story_id"] == ref

    # A second approval (another tab, a replayed POST) and the sweep create nothing more.
    token = form_token(page["body"])
    again = http("POST", link, {"form_token": token, "decision": "approve"}, kind="b", lang="en")
    assert again["statusCode"] == 409 and "Already decided" in again["text"]
    boosts.sweep(config)
    assert meta.count("campaign") == meta.count("adset") == meta.count("ad") == 1


def test_a_launch_interrupted_after_its_campaign_resumes_without_a_second_one(
    shop: dict[str, Any],
) -> None:
    config = shop["configure"]()
    meta: FakeMetaAds = shop["meta"]
    post_id = boostable(config, meta)
    boost = boosts.request(config, post_id, "fb", budget=30, days=3, audience="fans-fr", by=CAMILLE)
    # The campaign is created, its answer lost, and the search finds nothing yet (as
    # right after a write on a real API): the launch stops and waits for the sweep.
    shop["proxy"].drop("POST", r"/act_\d+/campaigns\?", times=1)
    meta.search_lag = 2  # the searches before and after the lost creation see nothing
    decide(boost_link())
    waiting = boosts.get(boost["boost_id"])
    assert waiting["status"] == "launching" and meta.count("campaign") == 1
    assert meta.running() == []  # created paused: nothing spends

    later = datetime.now(UTC) + boosts.LEASE + timedelta(seconds=1)
    result = boosts.sweep(config, later)
    assert result["launched"] == [{"boost": boost["boost_id"], "status": "active"}]
    assert meta.count("campaign") == 1 and len(meta.running()) == 1


def test_an_instagram_boost_names_the_media_and_the_page_as_meta_now_asks(
    shop: dict[str, Any],
) -> None:
    from tests.integration.test_platforms import _ig_variant

    config = shop["configure"]()
    meta: FakeMetaAds = shop["meta"]
    draft = posts.parse_draft(
        {
            "author": CAMILLE,
            "variants": {
                "ig": {
                    "text": "Urban 3",
                    "media": [{"url": _ig_variant("x").media[0].url, "alt": "Le vélo"}],
                }
            },
        },
        config,
    )
    post = posts.create(config, draft)
    posts.publish_account(config, post["post_id"], "ig", attempt="1")
    media_id = store.get(*store.publication_key(post["post_id"], "ig"))["ref"]
    meta.media.add(media_id)
    boost = boosts.request(
        config, post["post_id"], "ig", budget=20, days=2, audience="fans-fr", by=CAMILLE
    )
    decide(boost_link())
    final = boosts.get(boost["boost_id"])
    assert final["status"] == "active", final.get("error")
    creative = meta.objects[final["steps"]["creative"]]
    assert creative["source_instagram_media_id"] == media_id
    assert creative["instagram_user_id"] == FakeGraph.IG and creative["object_id"] == FakeGraph.PAGE
    targeting = meta.objects[final["steps"]["adset"]]["targeting"]
    assert '"publisher_platforms": ["instagram"]' in targeting


def test_a_linkedin_boost_is_sponsored_content_created_once(shop: dict[str, Any]) -> None:
    config = shop["configure"]()
    li_ads = shop["li_ads"]
    post_id = published(config, "li")
    boost = boosts.request(
        config, post_id, "li", budget=150, days=10, audience="france", by=CAMILLE
    )
    decide(boost_link())
    final = boosts.get(boost["boost_id"])
    assert final["status"] == "active", final.get("error")
    (campaign,) = li_ads["campaigns"].values()
    assert campaign["totalBudget"] == {"amount": "150.00", "currencyCode": "EUR"}
    assert campaign["type"] == "SPONSORED_UPDATES" and campaign["status"] == "ACTIVE"
    assert campaign["runSchedule"]["end"] - campaign["runSchedule"]["start"] == 10 * 86_400_000
    (creative,) = li_ads["creatives"].values()
    assert creative["content"]["reference"] == final["ref"]
    # Launching again (a retried sweep) finds both by name and reference: nothing new.
    store.update(*boosts.key(final["boost_id"]), {"status": "approved"})
    boosts.launch(config, final["boost_id"])
    assert len(li_ads["campaigns"]) == 1 and len(li_ads["creatives"]) == 1


def test_a_boost_over_the_cap_is_refused_before_anyone_is_asked(shop: dict[str, Any]) -> None:
    config = shop["configure"](monthly_budget=250)
    post_id = boostable(config, shop["meta"])
    before = len(sent_messages())
    with pytest.raises(boosts.BoostError, match=r"€250.00 is above the €200.00 cap"):
        boosts.request(config, post_id, "fb", budget=250, days=7, audience="fans-fr", by=CAMILLE)
    with pytest.raises(boosts.BoostError, match="dépasse le plafond par boost de 200,00"):
        boosts.request(
            config, post_id, "fb", budget=201, days=7, audience="fans-fr", by=CAMILLE, lang="fr"
        )
    assert len(sent_messages()) == before and boosts.listed() == []
    # The month's cap counts what was approved: 150 committed, 150 more is refused.
    boosts.request(config, post_id, "fb", budget=150, days=7, audience="fans-fr", by=CAMILLE)
    decide(boost_link())
    other = published(config, "fb", "Deuxième post")
    with pytest.raises(boosts.BoostError, match="monthly cap"):
        boosts.request(config, other, "fb", budget=150, days=7, audience="fans-fr", by=CAMILLE)


def test_a_cap_lowered_after_the_request_refuses_the_approval(shop: dict[str, Any]) -> None:
    config = shop["configure"]()
    meta: FakeMetaAds = shop["meta"]
    post_id = boostable(config, meta)
    boost = boosts.request(
        config, post_id, "fb", budget=120, days=7, audience="fans-fr", by=CAMILLE
    )
    shop["configure"](max_budget=100)
    answer = decide(boost_link())
    assert answer["statusCode"] == 409 and "cap" in answer["text"]
    assert boosts.get(boost["boost_id"])["status"] == "awaiting_approval"
    assert meta.count("campaign") == 0


def test_a_refusal_by_the_network_fails_the_boost_and_tells_its_author(
    shop: dict[str, Any],
) -> None:
    config = shop["configure"]()
    meta: FakeMetaAds = shop["meta"]
    post_id = published(config, "fb")  # the fake does not know this story: Meta refuses it
    boost = boosts.request(config, post_id, "fb", budget=40, days=7, audience="fans-fr", by=CAMILLE)
    decide(boost_link())
    failed = boosts.get(boost["boost_id"])
    assert failed["status"] == "failed" and "object_story_id" in failed["error"]
    assert meta.running() == []
    subjects = [m["Subject"] for m in sent_messages() if m["To"] == CAMILLE]
    assert any("Boost non lancé" in s for s in subjects)
    # Fixed (the post exists now), "Try again" resumes from the steps already made.
    meta.stories.add(failed["ref"])
    assert boosts.retry(failed["boost_id"], CAMILLE)
    boosts.launch(config, failed["boost_id"])
    assert boosts.get(failed["boost_id"])["status"] == "active"
    assert meta.count("campaign") == 1 and len(meta.running()) == 1


def test_spend_reach_and_clicks_are_read_daily_into_the_boost_and_the_week(
    shop: dict[str, Any],
) -> None:
    from portevoix.reporting.week import Week

    config = shop["configure"]()
    meta: FakeMetaAds = shop["meta"]
    post_id = boostable(config, meta)
    boost = boosts.request(config, post_id, "fb", budget=70, days=7, audience="fans-fr", by=CAMILLE)
    decide(boost_link())
    campaign = boosts.get(boost["boost_id"])["steps"]["campaign"]
    today = datetime.now(UTC).date()
    meta.figures[campaign] = {
        "days": {
            today.isoformat(): (9.5, 2100, 31),
            (today + timedelta(days=1)).isoformat(): (11.25, 2500, 40),
        },
        "reach": 3900,
    }
    result = boosts.collect(config, datetime.now(UTC) + timedelta(days=1, hours=1))
    assert result == {"read": 1, "failed": []}
    read = boosts.get(boost["boost_id"])
    assert read["spend"] == 2075 and read["reach"] == 3900 and read["clicks"] == 71
    assert read["daily"][today.isoformat()] == [950, 2100, 31]
    week = Week.containing(datetime.now(UTC), config.tz)
    (row,) = boosts.week(week)
    in_week = [d for d in (today, today + timedelta(days=1)) if d in week.days]
    assert row["week_clicks"] == sum(31 if d == today else 40 for d in in_week)
    from portevoix.reporting import report

    built = report.build(config, week)
    for lang, total in (("en", "€20.75 in all of €70.00"), ("fr", "20,75 € au total sur 70,00 €")):
        rendered = report.render(config, built, lang)
        assert total in rendered.html.replace("\u202f", " ").replace("\xa0", " ")
        assert f'data-boost="{boost["boost_id"]}"' in rendered.html
    csv_text = rendered.attachments[0][1].decode("utf-8-sig")
    item = f"{boost['boost_id']}:fb"
    assert f"boost,{item},spend_total,20.75," in csv_text
    assert f"boost,{item},reach_total,3900," in csv_text
    assert f"boost,{item},clicks_total,71," in csv_text
