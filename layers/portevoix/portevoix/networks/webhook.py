"""Incoming webhooks (Slack, Discord, Teams, or any JSON endpoint) for internal channels.

A webhook cannot be searched afterwards, so a message whose answer was lost
is not sent again (at most once): the caller is told the outcome is unknown.
"""

from __future__ import annotations

from typing import Any

from portevoix.networks.base import Health, Limits, Network, Published, Variant


class Webhook(Network):
    name = "webhook"
    limits = Limits(max_chars=4000, max_media=0, can_reply=False, has_metrics=False)
    lookup_supported = False

    def _url(self) -> str:
        return self.token()

    def payload(self, variant: Variant) -> dict[str, Any]:
        text = (
            variant.text
            if not variant.link or variant.link in variant.text
            else f"{variant.text}\n{variant.link}"
        )
        kind = self.account.kind
        if kind == "slack":
            return {"text": text, "unfurl_links": True}
        if kind == "discord":
            return {"content": text[:2000], "allowed_mentions": {"parse": []}}
        if kind == "teams":
            return {
                "type": "message",
                "attachments": [
                    {
                        "contentType": "application/vnd.microsoft.card.adaptive",
                        "content": {
                            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "type": "AdaptiveCard",
                            "version": "1.4",
                            "body": [{"type": "TextBlock", "text": text, "wrap": True}],
                        },
                    }
                ],
            }
        return {"text": text}

    def publish(self, variant: Variant, key: str) -> Published:
        self.http.request(
            "POST",
            self._url(),
            json=self.payload(variant),
            headers={"Idempotency-Key": key},
            idempotent=False,
        )
        return Published(ref=key, url=None, network=self.name)

    def check_credentials(self) -> Health:
        # Posting is the only way to test a webhook; check that the secret is a URL.
        url = self._url()
        ok = url.startswith("https://") or url.startswith("http://127.0.0.1")
        return Health(
            self.account_id,
            self.name,
            ok,
            "webhook URL present" if ok else "the secret is not an https URL",
        )
