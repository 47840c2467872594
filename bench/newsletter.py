"""A newsletter issue to 5,000 subscribers in the local mode: paced, stopped, resumed, once.

Starts `portevoix local serve` (its own sender off), stores 5,000 confirmed
subscribers and an approved issue, queues it, then runs `portevoix newsletter
send` as a separate process and kills it (SIGKILL) once about 40 % went out,
as a crashed sender would stop. A second `newsletter send` resumes: the batch
that was being sent comes back after its visibility timeout and the
recipients' markers skip who already got it. Counts the outbox's emails per
recipient, then sends 60 more at 10 a second (below the local mode's own
throughput, so the pacing is what limits). Targets: nobody twice, nobody
missed but the one claim the crash may have cut, never above the rate.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import arguments, compare  # noqa: E402
from bench.links import serve  # noqa: E402

RATE = 100  # the configured newsletter.rate_per_second (above what the local mode reaches)
PACED = 10  # a rate below the local mode's throughput, where the pacing is what limits
TARGETS = {
    "received_twice": ("<=", 0),
    "missed": ("<=", 1),
    "rate_over_configured": ("<=", 0.0),
    "paced_over_configured": ("<=", 0.05),
}
CONFIG = f"""
brand: {{name: Cyclia}}
sender: lettre@cyclia.example
team: [{{email: camille@cyclia.example}}]
newsletter: {{enabled: true, rate_per_second: {RATE}}}
"""


def outbox_count(outbox: Path) -> int:
    return len(list(outbox.glob("*-newsletter.eml")))


def run(subscribers: int) -> dict[str, Any]:
    from portevoix.core import runtime, store
    from portevoix.newsletter import issues
    from portevoix.newsletter import subscribers as subs
    from portevoix_local.serve import connect

    work = Path(tempfile.mkdtemp(prefix="pv-bench-newsletter-"))
    (work / "brand.yaml").write_text(CONFIG, encoding="utf-8")
    home = work / "home"
    os.environ["PORTEVOIX_LOCAL_SENDER"] = "off"
    proc = serve(home, work / "brand.yaml")
    env = {**os.environ, "PORTEVOIX_HOME": str(home), "PYTHONPATH": str(ROOT)}
    try:
        info = connect(home)
        outbox = Path(info["outbox"])
        config = runtime.config()
        now = datetime.now(UTC)
        store.batch_put(
            [
                subs.record(
                    f"lecteur{i}@example.org",
                    "confirmed",
                    language="fr" if i % 3 else "en",
                    token=f"bench-token-{i:06d}",
                    consent_at=now.isoformat(),
                )
                for i in range(subscribers)
            ]
        )
        issue = issues.current(config, now)
        issues.save(issue["issue_id"], {"fr": "Bonjour !", "en": "Hello!"}, "bench")
        store.update(*issues.key(issue["issue_id"]), {"status": "approved"})
        issues.fan_out(config, issue["issue_id"], now)

        send = [sys.executable, "-m", "portevoix_local.cli", "newsletter", "send"]
        started = time.perf_counter()
        sender = subprocess.Popen(
            [*send, "--visibility", "3"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        while outbox_count(outbox) < subscribers * 0.4 and sender.poll() is None:
            time.sleep(0.05)
        sender.send_signal(signal.SIGKILL)  # a crash: no cleanup, a batch half sent
        sender.wait()
        first_part = time.perf_counter() - started
        at_crash = outbox_count(outbox)
        time.sleep(3.5)  # the interrupted batch becomes visible again
        resumed = time.perf_counter()
        done = subprocess.run(
            [*send, "--visibility", "3"], env=env, capture_output=True, text=True, check=True
        )
        resume_seconds = time.perf_counter() - resumed
        result = json.loads(done.stdout)
        received = Counter(
            message_from_bytes(p.read_bytes(), policy=policy.default)["To"]
            for p in outbox.glob("*-newsletter.eml")
        )
        final = issues.get(issue["issue_id"]) or {}

        # The pacing where it binds: 60 more readers sent at 10 a second by the same code.
        late = [f"tard{i}@example.org" for i in range(60)]
        store.batch_put(
            [
                subs.record(a, "confirmed", language="fr", token=f"bench-late-{i:03d}")
                for i, a in enumerate(late)
            ]
        )
        paced_started = time.perf_counter()
        issues.deliver(
            config,
            {"issue": issue["issue_id"], "to": [subs.digest(a) for a in late]},
            issues.Pacer(PACED),
        )
        paced_rate = len(late) / (time.perf_counter() - paced_started)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    sent = sum(received.values())
    rate = at_crash / first_part
    return {
        "subscribers": subscribers,
        "configured_rate": RATE,
        "sent_before_crash": at_crash,
        "sent_after_resume": result["sent"],
        "received": len(received),
        "received_twice": sum(1 for n in received.values() if n > 1),
        "missed": subscribers - len(received),
        "uncertain": int(final.get("uncertain") or 0),
        "issue_status": final.get("status"),
        "rate_before_crash": round(rate, 1),
        "rate_over_configured": round(max(0.0, rate - RATE), 1),
        "paced_rate": round(paced_rate, 2),
        "paced_over_configured": round(max(0.0, paced_rate - PACED), 2),
        "resume_seconds": round(resume_seconds, 1),
        "emails": sent,
    }


def main() -> int:
    args = arguments(__doc__, ("--subscribers", {"type": int, "default": 5_000}))
    return compare(run(args.subscribers), TARGETS, "baseline-newsletter.json", args.save)


if __name__ == "__main__":
    sys.exit(main())
