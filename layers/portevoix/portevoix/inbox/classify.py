"""Classification of what people say to the brand: intent, sentiment, urgency, language.

Readable rules first: word lists (``lexicon.py`` plus the configuration's
``inbox.words``) scored per intent, structural signals (links, question
forms), negation-aware sentiment. Every result says which words decided it,
so a community manager can see why and tune the lists.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from portevoix.core.text import fold
from portevoix.inbox import lexicon

_BY_CONFIG: dict[int, tuple[Any, Classifier]] = {}
INTENTS = ("crisis", "spam", "insult", "complaint", "question", "praise", "other")
_URL = re.compile(
    r"https?://\S+|\bwww\.\S+|\b(?:bit\.ly|t\.co|t\.me|goo\.gl)/\S+"
    r"|\b[\w-]+\.(?:top|xyz|win|click|live|shop|biz|icu|buzz|loan|bet)\b",
    re.IGNORECASE,
)
SURE = 0.95  # the model's probability needed to overrule the word lists
_GREETING = re.compile(r"^(?:(?:bonjour|bonsoir|salut|coucou|hello|hi|hey|svp|stp|please)[\s,!]*)+")
_DISCOUNT = re.compile(r"-\s?\d{2}\s?%|\d{3,}\s?(?:€|\$)\s?(?:par|a|per)\b", re.IGNORECASE)


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    """One regex for a word list: whole words, ``*`` a suffix wildcard, spaces any space.

    Terms that start a word share one look-behind, checked once per position
    rather than once per term (several times faster on long lists); the
    others cannot match at the same place, so results are the same.
    """
    words, others = [], []
    for term in terms:
        folded = fold(term).strip()
        if not folded:
            continue
        wildcard = folded.endswith("*")
        body = re.escape(folded.rstrip("*")).replace(r"\ ", r"\s+")
        if wildcard:
            body += r"[\w-]*"
        if folded.rstrip("*")[-1:].isalnum() and not wildcard:
            body += r"(?![\w])"
        (words if folded[:1].isalnum() or folded[:1] in "'" else others).append(body)
    if not words and not others:
        return None
    groups = (
        [r"(?<![\w])(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"] if words else []
    )
    return re.compile("|".join(groups + sorted(others, key=len, reverse=True)))


@dataclass
class Classification:
    intent: str
    sentiment: str  # positive | negative | neutral
    score: float  # -1 .. 1
    urgency: str  # immediate | high | normal | low
    language: str
    vip: bool = False
    own: bool = False
    signals: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Classifier:
    def __init__(
        self,
        extra: dict[str, list[str]] | None = None,
        vip: list[str] | None = None,
        own: list[str] | None = None,
        default_language: str = "fr",
        names: list[str] | None = None,
    ):
        extra = {k: list(v) for k, v in (extra or {}).items()}
        self.lists: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = {}
        for intent, strong, weak in (
            ("crisis", lexicon.CRISIS_STRONG, lexicon.CRISIS),
            ("spam", lexicon.SPAM_STRONG, lexicon.SPAM),
            ("insult", lexicon.INSULT_STRONG, []),
            ("complaint", lexicon.COMPLAINT_STRONG, lexicon.COMPLAINT),
            ("praise", lexicon.PRAISE_STRONG, lexicon.PRAISE),
            ("question", [], []),
        ):
            self.lists[intent] = (_pattern(strong + extra.get(intent, [])), _pattern(weak))
        # The brand's own words (inbox.words) are explicit: they decide over the model.
        self.brand_words = {i: _pattern(t) for i, t in extra.items() if t}
        self.question_start = _pattern(lexicon.QUESTION_STARTS)
        self.sarcasm = _pattern(lexicon.SARCASM)
        self.negation = _pattern(lexicon.NEGATIONS)
        self.french = set(lexicon.FRENCH)
        self.english = set(lexicon.ENGLISH)
        self.vip = {fold(v).strip() for v in (vip or [])}
        self.names = _pattern(names or [])
        self.own = {fold(v).strip() for v in (own or [])}
        self.default_language = default_language

    @classmethod
    def from_config(cls, config: Any) -> Classifier:
        inbox = getattr(config, "inbox", None)
        own = [a for acc in config.accounts for a in (getattr(acc, "handle", None),) if a]
        if inbox is None:
            return cls(own=own, default_language=config.language)
        names = [config.brand.name, *config.brand.aliases]
        names += [n for c in config.competitors for n in (c.name, *c.aliases)]
        return cls(
            dict(inbox.words),
            list(inbox.vip),
            own + list(inbox.own_accounts),
            config.language,
            names,
        )

    def unnamed(self, text: str) -> str:
        """The text without the brand's and competitors' names: they say who, not what."""
        return self.names.sub(" ", fold(text)) if self.names else text

    @classmethod
    def for_config(cls, config: Any) -> Classifier:
        """The classifier of ``config``, compiled once per configuration object."""
        hit = _BY_CONFIG.get(id(config))
        if hit is not None and hit[0] is config:
            return hit[1]
        if len(_BY_CONFIG) >= 8:
            _BY_CONFIG.clear()
        made = cls.from_config(config)
        _BY_CONFIG[id(config)] = (config, made)
        return made

    # -- pieces ----------------------------------------------------------------

    def _hits(self, pattern: re.Pattern[str] | None, text: str) -> list[re.Match[str]]:
        return list(pattern.finditer(text)) if pattern else []

    def _negated(self, text: str, start: int) -> bool:
        """A negation among the two words before, in the same clause ("pas content", "no problem")."""
        window = re.split(r"[,.;:!?]", text[max(0, start - 40) : start])[-1]
        words = re.findall(r"[\w']+", window)[-2:]
        return bool(self.negation and any(self.negation.fullmatch(w) for w in words))

    def language(self, text: str) -> str:
        tokens = [t for t in re.findall(r"[\w']+", fold(text))]
        fr = sum(1 for t in tokens if t in self.french) + 2 * len(
            re.findall(r"[éèêàçùû]", text.lower())
        )
        en = sum(1 for t in tokens if t in self.english)
        if fr == en:
            return self.default_language
        return "fr" if fr > en else "en"

    def _second_look(
        self,
        text: str,
        folded: str,
        intent: str,
        scores: dict[str, float],
        signals: dict[str, list[str]],
    ) -> str:
        """The learnt model names the intent, except where the lists are sure: a crisis,
        obvious spam (links, schemes), the brand's own words, or a meaning the words turn
        around (negation, sarcasm), which a bag of words cannot read."""
        from portevoix.inbox import model

        if intent == "crisis" or (intent == "spam" and scores["spam"] >= 3):
            return intent
        if any(word.startswith("¬") for words in signals.values() for word in words):
            return intent
        for wanted, pattern in self.brand_words.items():
            if pattern and pattern.search(folded):
                return wanted if wanted in INTENTS else intent
        learnt, probability, words = model.model().predict(self.unnamed(text))
        if probability == 0.0:
            return intent  # too little text for the model: the lists' answer stands
        signals.setdefault("learnt", []).append(f"{learnt} {probability:.2f}")
        signals["learnt"] += words
        if intent == "other" or learnt == intent:
            return learnt
        # Against words of the lists, only a confident model, and only over weak evidence.
        if probability >= SURE and scores.get(intent, 0) < 4:
            return learnt
        return intent

    # -- the whole classification ----------------------------------------------

    def classify(self, text: str, author: str = "") -> Classification:
        # Words are read outside links: "super-montres.shop" is not praise.
        folded = fold(_URL.sub(" ", text or ""))
        signals: dict[str, list[str]] = {}
        scores: dict[str, float] = {}
        flipped: dict[str, float] = {"praise": 0.0, "complaint": 0.0}
        positive = negative = 0.0
        sarcasm = [m.group(0) for m in self._hits(self.sarcasm, folded)]
        for intent, (strong, weak) in self.lists.items():
            score = 0.0
            for weight, pattern in ((2.0, strong), (1.0, weak)):
                for m in self._hits(pattern, folded):
                    # An emoji is not negated by the words before it ("sans recharger 😍").
                    negated = m.group(0)[:1].isalnum() and self._negated(folded, m.start())
                    if intent == "complaint" and negated:
                        # "pas déçu", "no problems at all": a complaint denied is praise
                        flipped["praise"] += weight
                        positive += weight
                        signals.setdefault("praise", []).append("¬" + m.group(0))
                        continue
                    if intent == "praise" and (negated or sarcasm):
                        # "pas content"; "merci pour rien", "great, again 🙄": praise turned
                        flipped["complaint"] += weight
                        negative += weight
                        signals.setdefault("complaint", []).append("¬" + m.group(0))
                        continue
                    score += weight
                    signals.setdefault(intent, []).append(m.group(0))
                    if intent == "praise":
                        positive += weight
                    elif intent in ("complaint", "insult", "crisis"):
                        negative += weight
            scores[intent] = score
        for intent, extra in flipped.items():
            scores[intent] += extra
        if sarcasm and scores["complaint"]:
            signals.setdefault("complaint", []).extend(sarcasm)
        urls = len(_URL.findall(text or ""))
        if urls:
            scores["spam"] += min(2, urls)
            signals.setdefault("spam", []).append(f"{urls} link(s)")
        if "!!!" in (text or "") or (text or "").count("🔥") >= 2 or _DISCOUNT.search(text or ""):
            scores["spam"] += 1
        stripped = (text or "").strip()
        if "?" in stripped:
            scores["question"] += 2
            signals.setdefault("question", []).append("?")
        for sentence in re.split(r"[.!?\n;:]+", folded):  # a question may open any sentence
            head = _GREETING.sub("", sentence.strip())
            found = self.question_start.match(head) if self.question_start else None
            if found:
                scores["question"] += 2
                signals.setdefault("question", []).append(found.group(0))
                break

        if scores["crisis"] >= 2:
            intent = "crisis"
        elif scores["spam"] >= 3 or (
            scores["spam"] >= 2
            and not any(scores[k] for k in ("complaint", "question", "praise", "insult"))
        ):
            intent = "spam"
        elif scores["insult"] >= 2:
            intent = "insult"
        else:
            ranked = sorted(
                (
                    ("complaint", scores["complaint"]),
                    ("question", scores["question"]),
                    ("praise", scores["praise"]),
                ),
                key=lambda kv: kv[1],
                reverse=True,
            )
            intent = ranked[0][0] if ranked[0][1] > 0 else "other"
            # A question that also complains is a complaint when the complaint is strong.
            if (
                intent == "question"
                and scores["complaint"] >= 2
                and scores["complaint"] >= scores["praise"]
            ):
                intent = "complaint"

        intent = self._second_look(text or "", folded, intent, scores, signals)
        total = positive + negative
        score = 0.0 if intent == "spam" or total == 0 else round((positive - negative) / total, 2)
        # The intent decides the sign when the words disagree or say nothing: a complaint
        # is negative even in polite words, praise positive even without a praise word;
        # questions, spam and the rest are neutral.
        if intent in ("complaint", "crisis", "insult"):
            score = min(score, -0.5)
        elif intent == "praise":
            score = max(score, 0.5)
        else:
            score = 0.0
        sentiment = "positive" if score > 0.2 else "negative" if score < -0.2 else "neutral"
        who = fold(author or "").strip()
        vip = bool(who) and who in self.vip
        own = bool(who) and who.lstrip("@") in {o.lstrip("@") for o in self.own}
        if intent == "crisis":
            urgency = "immediate"
        elif intent == "spam" or own:
            urgency = "low"
        elif vip or intent == "insult" or (intent == "complaint" and scores["complaint"] >= 4):
            urgency = "high"
        else:
            urgency = "normal"
        return Classification(
            intent, sentiment, score, urgency, self.language(text or ""), vip, own, signals
        )
