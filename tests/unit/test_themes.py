"""Grouping a burst of messages by what they say."""

from __future__ import annotations

from portevoix.inbox import themes


def m(text: str, source: str = "mastodon") -> dict[str, str]:
    return {"text": text, "source": source}


def test_each_message_counts_once_under_its_most_shared_word() -> None:
    found = themes.group(
        [
            m("Ma batterie a pris feu !"),
            m("Les batteries chauffent, c'est dangereux"),
            m("Batterie morte et livraison en retard", "x"),
            m("Livraison perdue, encore"),
            m("Livraison en retard aussi"),
            m("Rien à voir : joli vélo"),
        ],
        brand="Cyclia",
    )
    assert [(t["word"], len(t["messages"])) for t in found["themes"]] == [
        ("batterie", 3),
        ("livraison", 2),
    ]
    assert [r["text"] for r in found["rest"]] == ["Rien à voir : joli vélo"]
    assert found["networks"] == [("mastodon", 5), ("x", 1)]


def test_handles_links_brand_and_small_words_are_not_themes() -> None:
    found = themes.group(
        [
            m("@cyclia_help Cyclia vous avez vu https://news.example/a ?"),
            m("@cyclia_help Cyclia vous avez vu https://news.example/b ?"),
        ],
        brand="Cyclia",
    )
    words = [t["word"] for t in found["themes"]]
    assert "cyclia" not in words and "vous" not in words and "news" not in words
    assert found["links"] == [("news.example", 2)]
