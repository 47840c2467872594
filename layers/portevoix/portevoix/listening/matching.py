"""Brand, competitor and keyword matching.

Matching is case- and accent-insensitive (``reseau`` matches ``réseau``),
on whole words; ``#hashtags`` and ``@handles`` match their word, and a
multi-word term also matches its joined form (``porte voix`` matches
``#portevoix`` and ``Porte-Voix``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portevoix.core.text import compile_terms, fold, squash


@dataclass
class Match:
    brand: bool = False
    brand_terms: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.brand or self.topics or self.competitors)


class Matcher:
    """Compiled matchers for one configuration."""

    def __init__(
        self,
        brand_terms: list[str],
        topics: dict[str, list[str]],
        competitors: dict[str, list[str]],
        exclude: list[str] | None = None,
    ):
        # Matches are found on folded text; people read the terms as configured.
        self._display: dict[str, str] = {}
        for terms in (brand_terms, *topics.values(), *competitors.values()):
            for t in terms:
                self._display.setdefault(squash(t), t.strip())  # the first spelling wins
        self._brand = compile_terms(brand_terms)
        self._exclude = compile_terms(exclude or [])
        self._topics = {name: p for name, terms in topics.items() if (p := compile_terms(terms))}
        self._competitors = {
            name: p for name, terms in competitors.items() if (p := compile_terms(terms))
        }

    @classmethod
    def from_config(cls, config: Any) -> Matcher:
        return _matcher_for(config)

    def match(self, *texts: str) -> Match:
        folded = fold(" \n ".join(t for t in texts if t))
        result = Match()
        brand_text = self._exclude.sub(" ", folded) if self._exclude else folded
        if self._brand:
            found = sorted({m.group(0) for m in self._brand.finditer(brand_text)})
            result.brand = bool(found)
            result.brand_terms = found
        keywords: set[str] = set()
        for name, pattern in self._topics.items():
            hits = {m.group(0) for m in pattern.finditer(folded)}
            if hits:
                result.topics.append(name)
                keywords |= hits
        for name, pattern in self._competitors.items():
            if pattern.search(folded):
                result.competitors.append(name)
        result.keywords = sorted({self._display.get(squash(k), k) for k in keywords})
        result.brand_terms = sorted({self._display.get(squash(k), k) for k in result.brand_terms})
        return result


_CACHE: dict[str, Matcher] = {}


def _matcher_for(config: Any) -> Matcher:
    cached = _CACHE.get(config.fingerprint)
    if cached:
        return cached
    brand = config.brand
    matcher = _CACHE[config.fingerprint] = Matcher(
        brand_terms=[brand.name, *brand.aliases],
        topics={name: list(terms) for name, terms in config.topics.items()},
        competitors={c.name: [c.name, *c.aliases] for c in config.competitors},
        exclude=list(brand.exclude),
    )
    return matcher
