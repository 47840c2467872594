"""The classifier against labelled French and English messages (tests/data/)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from portevoix.inbox.classify import Classifier
from tests.helpers import make_config

DATA = (
    Path(__file__).resolve().parents[2] / "layers" / "portevoix" / "portevoix" / "inbox" / "corpus"
)
INTENTS = ("complaint", "crisis", "insult", "praise", "question", "spam")

# What the project commits to, as floors any regression trips. The word lists decide what
# they are sure of; a naive Bayes model learnt from sets main, 1, 2 and 3 names the rest
# (inbox/model.py), so those four are training data now. Set 4 was written after the last
# word-list change and is never learnt from: the figure for text nobody tuned on.
MAIN_FLOOR = {intent: (0.9, 0.9) for intent in INTENTS}  # (precision, recall)
HELDOUT_FLOOR = MAIN_FLOOR
TUNED_FLOOR = MAIN_FLOOR
UNSEEN_FLOOR = {
    "complaint": (1.0, 0.75),
    "crisis": (0.88, 1.0),
    "insult": (1.0, 0.75),
    "praise": (0.66, 1.0),
    "question": (0.9, 1.0),
    "spam": (1.0, 1.0),
}


def load(name: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            intent, sentiment, lang, text = line.split("\t")
            rows.append((intent, sentiment, lang, text))
    return rows


def report(
    rows: list[tuple[str, str, str, str]],
) -> tuple[dict[str, tuple[float, float]], float, float]:
    classifier = Classifier()
    pairs = Counter()
    sentiment_ok = language_ok = 0
    for intent, sentiment, lang, text in rows:
        result = classifier.classify(text)
        pairs[(intent, result.intent)] += 1
        sentiment_ok += result.sentiment == sentiment
        language_ok += result.language == lang
    metrics = {}
    for intent in INTENTS:
        tp = pairs[(intent, intent)]
        predicted = sum(v for (_, got), v in pairs.items() if got == intent)
        actual = sum(v for (want, _), v in pairs.items() if want == intent)
        metrics[intent] = (tp / predicted if predicted else 0.0, tp / actual if actual else 0.0)
    return metrics, sentiment_ok / len(rows), language_ok / len(rows)


@pytest.mark.parametrize(
    ("name", "floors", "min_sentiment", "min_language"),
    [
        ("messages.tsv", MAIN_FLOOR, 0.95, 0.9),
        ("messages-heldout.tsv", HELDOUT_FLOOR, 0.95, 0.9),
        ("messages-heldout-2.tsv", TUNED_FLOOR, 0.95, 0.9),
        ("messages-heldout-3.tsv", TUNED_FLOOR, 0.95, 0.9),
        ("messages-heldout-4.tsv", UNSEEN_FLOOR, 0.85, 0.9),
    ],
)
def test_per_class_precision_and_recall(
    name: str, floors: dict, min_sentiment: float, min_language: float
) -> None:
    rows = load(name)
    assert len(rows) >= {"messages.tsv": 200, "messages-heldout-2.tsv": 150}.get(name, 48)
    assert {lang for _, _, lang, _ in rows} == {"fr", "en"}
    metrics, sentiment, language = report(rows)
    table = "\n".join(f"{i:10} precision {p:.2f} recall {r:.2f}" for i, (p, r) in metrics.items())
    print(
        f"\n{name}\n{table}\nsentiment accuracy {sentiment:.2f}, language accuracy {language:.2f}"
    )
    for intent, (p_min, r_min) in floors.items():
        p, r = metrics[intent]
        assert p >= p_min - 1e-9 and r >= r_min - 1e-9, f"{intent} fell below its floor:\n{table}"
    assert sentiment >= min_sentiment and language >= min_language


def test_negation_flips_the_meaning() -> None:
    c = Classifier()
    assert c.classify("Pas content du tout de la livraison").sentiment == "negative"
    assert c.classify("Not happy with the delivery at all").sentiment == "negative"
    assert c.classify("Aucun problème, merci beaucoup !").intent == "praise"


def test_vip_own_accounts_and_the_brands_words() -> None:
    config = make_config(
        inbox={
            "vip": ["@journaliste"],
            "own_accounts": ["@portevoix"],
            "words": {"crisis": ["rappel conso"]},
        }
    )
    c = Classifier.from_config(config)
    assert c.classify("Une question sur vos tarifs ?", author="@journaliste").urgency == "high"
    assert c.classify("Merci à tous !", author="@portevoix").urgency == "low"
    result = c.classify("Un rappel conso est publié pour vos freins")
    assert (
        result.intent == "crisis"
        and result.urgency == "immediate"
        and "rappel conso" in result.signals["crisis"]
    )


def test_hostile_input_never_breaks_it() -> None:
    c = Classifier()
    for text in [
        "",
        "<script>alert(1)</script>" * 500,
        "\x00\ud800 bad",
        "{{ config }} {% debug %}",
        "é" * 100_000,
    ]:
        result = c.classify(text)
        assert result.intent in (
            "other",
            "spam",
            "complaint",
            "question",
            "praise",
            "insult",
            "crisis",
        )


def test_negation_stays_within_its_clause() -> None:
    result = Classifier().classify("Votre SAV ne répond jamais, très déçu !")
    assert result.intent == "complaint" and result.urgency == "high"
    assert "decu" in result.signals["complaint"]  # "jamais," does not reach past the comma


def test_what_issue_13_found_misfiled() -> None:
    c = Classifier()
    recall = c.classify(
        "Le fabricant lyonnais Cyclia rappelle des batteries après des cas de surchauffe"
    )
    assert (recall.intent, recall.urgency) == ("crisis", "immediate")
    assert c.classify("le SAV @cyclia ne répond pas").intent == "complaint"


@pytest.mark.parametrize(
    ("text", "intent", "sentiment"),
    [
        ("Merci pour rien, la livraison a encore été annulée", "complaint", "negative"),
        ("great, the app crashed right before my ride 🙄", "complaint", "negative"),
        ("Pas déçu du tout, je recommande", "praise", "positive"),
        ("no complaints at all, works perfectly", "praise", "positive"),
        ("de ouf l'autonomie, 80 km sans recharger 😍", "praise", "positive"),
        ("c koi la diff entre les 2 modèles svp", "question", "neutral"),
        ("C'est normal que le frein grince dès la première semaine ?", "complaint", "negative"),
        ("How come nobody answers the phone?", "complaint", "negative"),
        ("Best replica watches 90% off www.cheap-watches.top", "spam", "neutral"),
    ],
)
def test_sarcasm_negation_emoji_sms_and_complaints_asked_as_questions(
    text: str, intent: str, sentiment: str
) -> None:
    result = Classifier().classify(text)
    assert (result.intent, result.sentiment) == (intent, sentiment), result.signals


def test_the_issue_s_targets_hold_on_the_set_never_learnt_from() -> None:
    """Intent macro-F1 >= 0.85, crisis recall >= 0.9, sentiment accuracy >= 0.85."""
    from portevoix.inbox.model import HELD_OUT, TRAINING

    assert HELD_OUT not in TRAINING
    metrics, sentiment, _ = report(load(HELD_OUT))
    f1 = [2 * p * r / (p + r) if p + r else 0.0 for p, r in metrics.values()]
    assert sum(f1) / len(f1) >= 0.85 and metrics["crisis"][1] >= 0.9 and sentiment >= 0.85
