"""Matching as a French or English community manager expects it."""

from __future__ import annotations

import pytest

from portevoix.core.text import fold
from portevoix.listening.matching import Matcher


@pytest.fixture
def matcher() -> Matcher:
    return Matcher(
        brand_terms=["Porte-voix", "@portevoix"],
        topics={"réseau": ["reseau social"], "ia": ["IA", "LLM"], "regl": ["RGPD"]},
        competitors={"Hootsuite": ["Hootsuite"], "Buffer": ["Buffer"], "L'Oréal": ["L'Oréal"]},
        exclude=["porte-voix de chantier"],
    )


def test_fold_removes_case_and_accents() -> None:
    assert fold("RÉSEAU Élève ÇA") == "reseau eleve ca"
    assert fold("l’Oréal") == "l'oreal"


@pytest.mark.parametrize(
    "text",
    [
        "Nouveau réseau social européen",
        "nouveau RESEAU SOCIAL",
        "le #reseausocial du moment",
        "un réseau-social",
    ],
)
def test_accent_and_case_insensitive_topics(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).topics == ["réseau"]


@pytest.mark.parametrize(
    "text",
    ["Porte-voix lance", "porte voix lance", "#portevoix", "merci @portevoix !", "PORTE-VOIX."],
)
def test_brand_variants(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).brand


@pytest.mark.parametrize(
    "text",
    [
        "la via ferrata",  # IA inside a word
        "buffering video",  # Buffer inside a word
        "un porte-voix de chantier jaune",  # excluded phrase
        "portevoixette",
    ],
)
def test_whole_words_and_exclusions(matcher: Matcher, text: str) -> None:
    m = matcher.match(text)
    assert not m.brand and not m.competitors and "ia" not in m.topics


def test_everything_at_once(matcher: Matcher) -> None:
    m = matcher.match("Hootsuite et L’Oréal parlent d’IA", "Et Porte-voix ? RGPD oblige.")
    assert m.brand and m.brand_terms == ["Porte-voix"]  # shown as configured, not folded
    assert sorted(m.competitors) == ["Hootsuite", "L'Oréal"]
    assert sorted(m.topics) == ["ia", "regl"]
    assert m.keywords == ["IA", "RGPD"]


def test_exclusion_does_not_hide_a_real_mention(matcher: Matcher) -> None:
    assert matcher.match("Un porte-voix de chantier, et la marque Porte-voix").brand
