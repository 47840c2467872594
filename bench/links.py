"""Short links under load in the local mode: every click counted, and the redirect's latency.

Starts `portevoix local serve`, stores one short link in its table, and sends
it 10,000 GETs as browsers would (no redirect followed): 200 one at a time
(the redirect's latency), the rest from 16 threads (the load). The link's
counter and the hour's `clicks` counter must both say 10,000 (atomic ADDs:
none lost). Targets: no click lost, redirect p50 <= 25 ms.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import arguments, compare  # noqa: E402

TARGETS = {"clicks_lost": ("<=", 0), "redirect_p50_ms": ("<=", 25.0)}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
CONFIG = """
brand: {name: Cyclia}
sender: veille@cyclia.example
team: [{email: camille@cyclia.example}]
tracking: {short_links: true}
"""


def serve(home: Path, config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PORTEVOIX_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "portevoix_local.cli", "local", "serve", "--config", str(config)]
        + ["--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.time() + 60
    while not (home / "serve.json").exists():
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit("local serve did not start")
        time.sleep(0.2)
    return proc


def run(clicks: int, threads: int) -> dict[str, Any]:
    import requests

    from portevoix.core import store
    from portevoix.publishing import tracking
    from portevoix_local.serve import connect

    work = Path(tempfile.mkdtemp(prefix="pv-bench-links-"))
    (work / "brand.yaml").write_text(CONFIG, encoding="utf-8")
    proc = serve(work / "home", work / "brand.yaml")
    try:
        base = json.loads((work / "home" / "serve.json").read_text())["url"]
        connect(work / "home")  # this process now talks to the running stack's AWS
        post = {"post_id": "20261203-bench", "variants": {}}
        link = tracking.shorten(post, "masto", "mastodon", "https://cyclia.example/u3")
        code = link.rsplit("/", 1)[1]
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=threads, pool_maxsize=threads)
        session.mount("http://", adapter)

        def one(_: int) -> float:
            started = time.perf_counter()
            answer = session.get(
                f"{base}/l/{code}", headers={"User-Agent": BROWSER}, allow_redirects=False
            )
            assert answer.status_code == 302, answer.status_code
            return (time.perf_counter() - started) * 1000

        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        alone = sorted(one(i) for i in range(200))  # latency: one visitor at a time
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:  # load: many at once
            samples = sorted(pool.map(one, range(clicks - 200)))
        wall = time.perf_counter() - started
        counted = int(store.get(*store.short_link_key(code))["clicks"])
        hourly = sum(
            v.get("clicks", 0)
            for h, v in store.read_counts(hour, datetime.now(UTC) + timedelta(hours=1)).items()
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return {
        "clicks": clicks,
        "threads": threads,
        "counted": counted,
        "counted_by_hour": hourly,
        "clicks_lost": clicks - min(counted, hourly),
        "redirect_p50_ms": round(statistics.median(alone), 1),
        "redirect_p95_ms": round(alone[int(len(alone) * 0.95) - 1], 1),
        "under_load_p50_ms": round(statistics.median(samples), 1),
        "clicks_per_second": round((clicks - 200) / wall),
    }


def main() -> int:
    args = arguments(
        __doc__,
        ("--clicks", {"type": int, "default": 10_000}),
        ("--threads", {"type": int, "default": 16}),
    )
    results = run(args.clicks, args.threads)
    return compare(results, TARGETS, "baseline-links.json", args.save)


if __name__ == "__main__":
    sys.exit(main())
