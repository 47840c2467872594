"""The draw, as published: a procedure short enough to rerun by hand (README, "Contests").

1. When the contest is created, a secret ``seed`` (64 hex characters) is drawn and
   its commitment ``sha256(seed)`` is published with the contest's ``salt``.
2. Each entrant is named by a pseudonym they can compute themselves:
   ``sha256(f"{salt}:{network}:{handle}")[:20]`` (handle lower-case, without "@").
3. At the draw, the seed and the list of eligible pseudonyms are published. Draw
   ``n`` uses ``seed`` itself for ``n == 1`` and ``sha256(f"{seed}:{n}")`` after
   (an explicit redraw). Pseudonyms are sorted by ``sha256(f"{seed_n}:{pseudonym}")``
   (then by the pseudonym itself); the first ``winners`` win, the next
   ``substitutes`` are substitutes, in that order.

Only the standard library: the verification script in the README is these lines.
"""

from __future__ import annotations

import hashlib
import secrets

PROCEDURE = "porte-voix-draw-1"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    return _sha(seed)


def identity(network: str, handle: str) -> str:
    return f"{network}:{handle.strip().lstrip('@').lower()}"


def pseudonym(salt: str, network: str, handle: str) -> str:
    return _sha(f"{salt}:{identity(network, handle)}")[:20]


def seed_for(seed: str, n: int) -> str:
    return seed if n == 1 else _sha(f"{seed}:{n}")


def rank(seed: str, eligible: list[str], n: int = 1) -> list[str]:
    """The eligible pseudonyms in draw order."""
    seed_n = seed_for(seed, n)
    return sorted(set(eligible), key=lambda p: (_sha(f"{seed_n}:{p}"), p))


def result(
    seed: str, eligible: list[str], winners: int, substitutes: int, n: int = 1
) -> tuple[list[str], list[str]]:
    """(winners, substitutes) of draw ``n``."""
    order = rank(seed, eligible, n)
    return order[:winners], order[winners : winners + substitutes]


def verify(published: dict) -> bool:
    """Whether a published draw holds: the seed matches the commitment, the winners follow."""
    if commitment(published["seed"]) != published["commitment"]:
        return False
    won, subs = result(
        published["seed"],
        published["eligible"],
        int(published["winners_count"]),
        int(published["substitutes_count"]),
        int(published.get("draw", 1)),
    )
    return won == published["winners"] and subs == published["substitutes"]
