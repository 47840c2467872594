"""The report email opened in real Chromium: screenshots kept, bars as long as the seeded values."""

from __future__ import annotations

from typing import Any

import pytest

from portevoix.reporting import report
from tests.e2e.test_local_serve import chromium, launch
from tests.helpers import ROOT
from tests.integration.test_report import W47, seeded  # noqa: F401 - the seeded week

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.mark.slow
def test_report_renders_its_charts_in_a_browser(seeded: Any, tmp_path: Any) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    chromium()  # skips, or fails in CI, without Debian's chromium
    from datetime import date, timedelta

    from portevoix.core import store
    from portevoix.reporting import audience

    account = seeded.accounts[0].key  # two weeks of daily readings, one day not read
    store.batch_put(
        [
            store.with_key(audience.key(account, date(2026, 11, 9) + timedelta(days=d)), **read)
            for d in range(14)
            for read in [{"error": "token expired"} if d == 10 else {"followers": 1200 + 5 * d}]
        ]
    )
    from portevoix.publishing import boosts

    store.put(  # a paid boost that ran in the week, its figures read daily
        store.with_key(
            boosts.key("b1"),
            boost_id="b1",
            post_id="p1",
            title="Urban 3",
            account=account,
            status="ended",
            start="2026-11-16T09:00:00Z",
            end="2026-11-23T09:00:00Z",
            budget=7000,
            currency="EUR",
            days=7,
            audience="fans-fr",
            daily={"2026-11-16": [950, 2100, 31], "2026-11-17": [1125, 2500, 40]},
            spend=2075,
            reach=3900,
            clicks=71,
            GSI1PK=boosts.INDEX,
            GSI1SK="2026-11-16T08:00:00Z#b1",
        )
    )
    built = report.build(seeded, report.Week.parse(W47, seeded.tz))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for lang in ("fr", "en"):
                page_file = tmp_path / f"report-{lang}.html"
                page_file.write_text(report.render(seeded, built, lang).html, encoding="utf-8")
                page = browser.new_page(viewport={"width": 720, "height": 900})
                page.goto(page_file.as_uri())
                page.screenshot(path=str(ARTIFACTS / f"report-{lang}.png"), full_page=True)
                bars = page.eval_on_selector_all(
                    "td[data-chart]",
                    """cells => cells.map(c => ({chart: c.dataset.chart, label: c.dataset.label,
                        value: Number(c.dataset.value), width: c.getBoundingClientRect().width,
                        track: c.closest('table').getBoundingClientRect().width}))""",
                )
                by = {(b["chart"], b["label"]): b for b in bars}
                # Mentions per day: Monday 6, Wednesday 3, Friday 2 (days with none draw no bar).
                monday = by[("volume", "lun. 16" if lang == "fr" else "16 Mon")]
                wednesday = by[("volume", "mer. 18" if lang == "fr" else "18 Wed")]
                assert monday["value"] == 6 and wednesday["value"] == 3
                assert wednesday["width"] / monday["width"] == pytest.approx(0.5, abs=0.03)
                assert monday["width"] / monday["track"] == pytest.approx(1.0, abs=0.02)
                # Share of voice: 10 against 5, two thirds of the track and one third.
                brand, rival = by[("voice", "Porte-voix")], by[("voice", "Hootsuite")]
                assert brand["width"] / brand["track"] == pytest.approx(2 / 3, abs=0.02)
                assert rival["width"] / rival["track"] == pytest.approx(1 / 3, abs=0.02)
                # Every day's sentiment segments sum to its share of the busiest day.
                segments = [b for b in bars if b["chart"] == "sentiment"]
                assert sum(s["value"] for s in segments) == 12
                assert page.inner_text("[data-headline]").startswith(
                    "Ce qui a le plus changé" if lang == "fr" else "What changed the most"
                )
                assert page.locator("[data-rank=best]").count() == 1
                growth = page.locator(f"[data-audience={account}]")
                assert ("1 265 abonnés (+35" if lang == "fr" else "1,265 followers (+35") in (
                    growth.inner_text().replace("\u202f", " ")
                )
                spend = (
                    page.inner_text("[data-boost=b1]").replace("\u202f", " ").replace("\xa0", " ")
                )
                assert ("20,75 € cette semaine" if lang == "fr" else "€20.75 this week") in spend
                assert ("portée 3 900" if lang == "fr" else "reach 3,900") in spend
                assert ("71 clics" if lang == "fr" else "71 clicks") in spend
                page.close()
        finally:
            browser.close()
    assert (ARTIFACTS / "report-fr.png").stat().st_size > 10_000
