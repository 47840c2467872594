"""Networks benchmark: HTTP requests per publish and per mention read, per network.

Runs against local peers: mastodon-mock, the fakes of tests/fakes.py, and
the real Bluesky PDS when PORTEVOIX_PDS_URL points to one. Prints a table
and compares with bench/baseline-networks.json.
Usage: python bench/networks.py [--save]
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import arguments, baseline, save  # noqa: E402


def _config(account: dict[str, Any]) -> Any:
    from portevoix.core.config import Config

    return Config.model_validate(
        {
            "brand": {"name": "Porte-voix"},
            "sender": "bench@brand.example",
            "team": [{"email": "cm@brand.example"}],
            "accounts": [{**account, "secret": "env:BENCH_TOKEN"}],
            "fetch": {"allow_private_networks": True},
        }
    )


def measure(
    account: dict[str, Any], token: str, variant: Any, add_mention: Any
) -> dict[str, float]:
    from portevoix.core import secrets
    from portevoix.networks import build

    os.environ["BENCH_TOKEN"] = token
    secrets.forget()
    net = build(_config(account).accounts[0], _config(account), sleep=lambda s: None)
    net.check_credentials()  # sessions and identities are warm, as in a running Lambda
    start = net.http.calls
    net.publish(variant, key=f"bench-{uuid.uuid4().hex}")
    per_publish = net.http.calls - start
    add_mention(net)
    _, cursor = net.fetch_mentions(None)
    add_mention(net)
    start = net.http.calls
    mentions, cursor = net.fetch_mentions(cursor)
    per_read = net.http.calls - start
    start = net.http.calls
    net.fetch_mentions(cursor)
    idle = net.http.calls - start
    return {
        "requests_per_publish": per_publish,
        "requests_per_mention_read": round(per_read / max(1, len(mentions)), 2),
        "requests_per_idle_poll": idle,
    }


def run() -> dict[str, dict[str, float]]:
    import requests

    from portevoix.networks import Media, Variant
    from tests.fakes import FakeGraph, FakeLinkedIn, FakeX

    results: dict[str, dict[str, float]] = {}
    text = Variant(text="Porte-voix v2 est disponible #portevoix")

    from mastodon_mock.testing.server import MockServer

    with MockServer() as masto:

        def mention(net: Any) -> None:
            requests.post(
                masto.base_url + "/api/v1/statuses",
                json={"status": f"@alice {uuid.uuid4().hex}"},
                headers={"Authorization": "Bearer bob_token"},
                timeout=10,
            )

        results["mastodon"] = measure(
            {"network": "mastodon", "instance": masto.base_url}, "alice_token", text, mention
        )

    li, graph, x = FakeLinkedIn(), FakeGraph(), FakeX()
    try:

        def li_mention(net: Any) -> None:
            if not li.posts:
                net.publish(Variant(text="seed"), key="seed")
            li.add_comment(li.posts[-1]["id"], uuid.uuid4().hex)

        results["linkedin"] = measure(
            {"network": "linkedin", "organization": li.ORG, "base": li.url},
            li.TOKEN,
            text,
            li_mention,
        )
        results["facebook"] = measure(
            {"network": "facebook", "page_id": graph.PAGE, "base": graph.url},
            graph.TOKEN,
            text,
            lambda net: graph.add_comment(graph.posts[-1]["id"], uuid.uuid4().hex),
        )
        ig_variant = Variant(text="Porte-voix v2", media=[Media(url="https://cdn.example/a.jpg")])
        results["instagram"] = measure(
            {"network": "instagram", "user_id": graph.IG, "base": graph.url},
            graph.TOKEN,
            ig_variant,
            lambda net: graph.add_comment(graph.media[-1]["id"], uuid.uuid4().hex),
        )
        results["x"] = measure(
            {"network": "x", "user_id": x.USER, "base": x.url},
            x.TOKEN,
            text,
            lambda net: x.add_mention(f"@brand {uuid.uuid4().hex}"),
        )
    finally:
        li.close()
        graph.close()
        x.close()

    pds = os.environ.get("PORTEVOIX_PDS_URL")
    if pds:
        handle = f"bench-{uuid.uuid4().hex[:8]}.test"
        password = uuid.uuid4().hex
        requests.post(
            f"{pds}/xrpc/com.atproto.server.createAccount",
            json={"handle": handle, "email": f"{handle}@x.test", "password": password},
            timeout=30,
        ).raise_for_status()
        from portevoix.core import secrets
        from portevoix.networks import build

        os.environ["BENCH_TOKEN"] = password
        secrets.forget()
        cfg = _config({"network": "bluesky", "service": pds, "handle": handle})
        net = build(cfg.accounts[0], cfg)
        net.check_credentials()
        start = net.http.calls
        net.publish(text, key=f"bench-{uuid.uuid4().hex}")
        results["bluesky"] = {"requests_per_publish": net.http.calls - start}
    return results


def main() -> int:
    args = arguments(__doc__)
    results = run()
    base_values = baseline("baseline-networks.json")
    metrics = ["requests_per_publish", "requests_per_mention_read", "requests_per_idle_poll"]
    print(f"{'network':10} " + " ".join(f"{m:>28}" for m in metrics))
    for name, values in results.items():
        cells = []
        for m in metrics:
            value = values.get(m, "-")
            base = base_values.get(name, {}).get(m)
            cells.append(
                f"{value!s:>18} (base {base!s:>4})" if base is not None else f"{value!s:>28}"
            )
        print(f"{name:10} " + " ".join(cells))
    if args.save:
        save("baseline-networks.json", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
