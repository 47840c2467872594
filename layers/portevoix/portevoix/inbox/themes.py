"""What a burst of messages is about: repeated words, shared links, networks.

Pure functions over mention records. A theme is a word (folded: case, plural
``s``/``x``) that at least two messages use; each message goes to the first
theme it contains, themes ranked by how many messages use them, so a message
is counted once; a theme is named by its word and two more all its messages
share. Handles, links and the brand's own name are not themes.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

_NOISE = re.compile(r"@[\w.-]+|https?://\S+|\bwww\.\S+|#")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_WORD = re.compile(r"[^\W\d_]{4,}")
MAX_THEMES = 6

# Words that say nothing about a subject (French and English), already folded.
_STOP_WORDS = """
    avec avoir bien cette dans depuis encore être fait faire leur leurs mais même moins
    notre nous pour plus quand quoi sans sont tout tous toute toutes très vous votre vos
    elle elles ils aussi alors avant après comme chez donc ceci cela celui ici voila voilà
    merci bonjour salut jour fois rien personne quelqu chose déjà juste vraiment toujours
    about after again also been before being both could does doing from have having here
    into just more most only other over same some such than that their them then there
    these they this those through very what when where which while will with would your
    yours thank thanks hello please still really never ever
"""
_STOP = frozenset(_STOP_WORDS.split())


def fold(word: str) -> str:
    """One form for a word's variants: lower case, a plural ``s`` or ``x`` dropped."""
    word = word.lower()
    return word[:-1] if len(word) > 4 and word[-1] in "sx" else word


def words(text: str, ignore: frozenset[str] = frozenset()) -> set[str]:
    return {
        w
        for w in (fold(m) for m in _WORD.findall(_NOISE.sub(" ", text or "")))
        if w not in _STOP and w not in ignore
    }


def group(
    messages: list[dict[str, Any]], brand: str = "", limit: int = MAX_THEMES
) -> dict[str, Any]:
    """Themes (each with its messages), the rest, shared links by domain, and networks."""
    ignore = frozenset(fold(w) for w in _WORD.findall(brand or ""))
    bags = [words(_text(m), ignore) for m in messages]
    used = Counter(w for bag in bags for w in bag)
    ranked = [w for w, n in sorted(used.items(), key=lambda kv: (-kv[1], kv[0])) if n >= 2]
    themes: dict[str, list[dict[str, Any]]] = {}
    rest: list[dict[str, Any]] = []
    for message, bag in zip(messages, bags, strict=True):
        theme = next((w for w in ranked if w in bag and (w in themes or len(themes) < limit)), None)
        if theme is None:
            rest.append(message)
        else:
            themes.setdefault(theme, []).append(message)
    for word in [w for w, found in themes.items() if len(found) < 2]:
        rest.extend(themes.pop(word))  # a theme of one message is not a theme
    links: Counter[str] = Counter()
    for m in messages:
        for url in set(_URL.findall(_text(m))):
            links[urlsplit(url).hostname or url] += 1
    bag_of = {id(m): bag for m, bag in zip(messages, bags, strict=True)}

    def label(word: str, found: list[dict[str, Any]]) -> list[str]:
        """The theme's word, then up to two more that all its messages share."""
        shared = set.intersection(*(bag_of[id(m)] for m in found)) - {word}
        return [word, *sorted(shared, key=lambda w: (-used[w], w))[:2]]

    return {
        "themes": sorted(
            (
                {"word": w, "words": label(w, found), "messages": found}
                for w, found in themes.items()
            ),
            key=lambda th: (-len(th["messages"]), th["word"]),
        ),
        "rest": rest,
        "links": links.most_common(10),
        "networks": Counter(m.get("source") or "?" for m in messages).most_common(),
    }


def _text(message: dict[str, Any]) -> str:
    return f"{message.get('title') or ''} {message.get('text') or ''}"
