"""Tracked links: which links get UTM parameters, and how."""

from __future__ import annotations

from portevoix.networks import Variant
from portevoix.publishing import tracking
from tests.helpers import accounts, make_config


def post(**variant: object) -> dict:
    return {
        "post_id": "20261203-abcd",
        "title": "Précommandes Urban 3 !",
        "variants": {"masto": {"text": "", **variant}},
    }


def test_utm_added_to_the_post_link_and_the_brand_s_links_only() -> None:
    config = make_config(accounts=accounts("masto"), tracking={"domains": ["www.Cyclia.example"]})
    text = (
        "Tout sur https://cyclia.example/urban3?ref=home, la revue "
        "https://presse.example/test et la boutique https://shop.cyclia.example/u3."
    )
    spec = post(text=text, link="https://cyclia.example/precommande")
    out = tracking.apply(
        config, spec, "masto", Variant(text=text, link=spec["variants"]["masto"]["link"])
    )
    utm = "utm_source=mastodon&utm_medium=social&utm_campaign=precommandes-urban-3"
    assert out.link == f"https://cyclia.example/precommande?{utm}"
    assert f"https://cyclia.example/urban3?ref=home&{utm}," in out.text  # its comma stays
    assert "https://presse.example/test et" in out.text  # someone else's site: untouched
    assert f"https://shop.cyclia.example/u3?{utm}." in out.text


def test_a_link_that_says_its_own_utm_keeps_it_and_track_false_is_left_alone() -> None:
    config = make_config(accounts=accounts("masto"))
    spec = post(text="Lien", link="https://cyclia.example/?utm_campaign=noel")
    out = tracking.apply(
        config, spec, "masto", Variant(text="Lien", link=spec["variants"]["masto"]["link"])
    )
    assert (
        out.link
        == "https://cyclia.example/?utm_campaign=noel&utm_source=mastodon&utm_medium=social"
    )
    off = post(text="Lien", link="https://cyclia.example/", track=False)
    same = Variant(text="Lien", link="https://cyclia.example/")
    assert tracking.apply(config, off, "masto", same) == same
    quiet = make_config(accounts=accounts("masto"), tracking={"utm": False})
    assert tracking.apply(quiet, spec, "masto", same) == same


def test_short_codes_are_stable_per_post_account_and_link() -> None:
    a = tracking.code_for("p1", "masto", "https://cyclia.example/")
    assert a == tracking.code_for("p1", "masto", "https://cyclia.example/") and len(a) == 10
    assert a != tracking.code_for("p1", "x", "https://cyclia.example/")
    assert tracking.slug("Été 2027 : l'Urban 3 !") == "ete-2027-l-urban-3"
