"""A naive Bayes model of the labelled messages: words and character n-grams, French and English.

The word lists decide what they are sure of (crises, obvious spam, the brand's
own ``inbox.words``); for the rest, a model learnt from the labelled corpus
shipped with the package (``inbox/corpus``) names the intent. Character 3- and
4-grams carry it through SMS spelling, inflections and phrasings no list
holds. It is trained when first used (well under a second per container) on
every set but the last held-out one, which measures it (``bench/reply.py``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources

from portevoix.core.text import fold

TRAINING = (
    "messages.tsv",
    "messages-heldout.tsv",
    "messages-heldout-2.tsv",
    "messages-heldout-3.tsv",
)
HELD_OUT = "messages-heldout-4.tsv"  # never learnt from
SMOOTHING = 0.5
MIN_WORDS = 4  # known words a message needs before the model may judge it
# Words, and emojis (they carry mood); other punctuation and markup say nothing here.
_TOKEN = re.compile(r"[\w']+|[\u2190-\u2bff\u2600-\u27bf\U0001f000-\U0001faff]")


def corpus(name: str) -> list[tuple[str, str, str, str]]:
    """A labelled set: (intent, sentiment, language, text) per message."""
    text = resources.files("portevoix.inbox").joinpath("corpus", name).read_text("utf-8")
    rows = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            intent, sentiment, lang, message = line.split("\t")
            rows.append((intent, sentiment, lang, message))
    return rows


_NOISE = re.compile(r"@[\w.-]+|https?://\S+|\bwww\.\S+")  # handles and links: who and where


def features(text: str) -> list[str]:
    out = []
    for token in _TOKEN.findall(fold(_NOISE.sub(" ", text))):
        out.append("w:" + token)
        padded = f"<{token}>"
        for n in (3, 4):
            out += ["c:" + padded[i : i + n] for i in range(len(padded) - n + 1)]
    return out


@dataclass
class Model:
    log_prior: dict[str, float]
    counts: dict[str, Counter[str]]
    log_denominator: dict[str, float]
    vocabulary: frozenset[str]

    def predict(self, text: str) -> tuple[str, float, list[str]]:
        """The likeliest intent, its probability, and the words that pointed to it most;
        ("other", 0.0, []) when the text has too few known words to judge (a headline)."""
        found = [f for f in features(text) if f in self.vocabulary]
        if len({f for f in found if f.startswith("w:")}) < MIN_WORDS:
            return "other", 0.0, []
        scores = {}
        for intent, prior in self.log_prior.items():
            counts, denominator = self.counts[intent], self.log_denominator[intent]
            scores[intent] = prior + sum(
                math.log(counts[f] + SMOOTHING) - denominator for f in found
            )
        top = max(scores.values())
        total = sum(math.exp(s - top) for s in scores.values())
        best = max(scores, key=scores.__getitem__)
        words = sorted(
            {f[2:] for f in found if f.startswith("w:")},
            key=lambda w: (
                self.counts[best]["w:" + w]
                / (1 + sum(self.counts[k]["w:" + w] for k in self.counts if k != best))
            ),
            reverse=True,
        )
        return best, 1 / total, [w for w in words if self.counts[best]["w:" + w]][:5]


@cache
def model() -> Model:
    prior: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = {}
    for name in TRAINING:
        for intent, _, _, text in corpus(name):
            prior[intent] += 1
            counts.setdefault(intent, Counter()).update(features(text))
    vocabulary = frozenset(f for c in counts.values() for f in c)
    size = len(vocabulary)
    total = sum(prior.values())
    return Model(
        log_prior={k: math.log(v / total) for k, v in prior.items()},
        counts=counts,
        log_denominator={
            k: math.log(sum(c.values()) + SMOOTHING * size) for k, c in counts.items()
        },
        vocabulary=vocabulary,
    )
