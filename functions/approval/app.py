"""Links: approval pages (/a/...) and actions on mentions (/m/...); GET shows, POST acts."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from portevoix.core.logs import install as redact_secrets

logger = redact_secrets(Logger(service="approval"))
app = APIGatewayHttpResolver()
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _page(kind: str, link_id: str, method: str) -> Response:
    """Render an approval page (``a``) or a mention page (``m``); POSTs carry the form."""
    from portevoix.core import runtime
    from portevoix.inbox import actions
    from portevoix.publishing import approval

    form = {}
    if method == "POST":
        body = app.current_event.decoded_body or ""
        form = {k: v[-1] for k, v in parse_qs(body, max_num_fields=10).items()}
    config = runtime.config()
    lang = approval.pick_language(app.current_event.headers.get("accept-language"), config.language)
    render = approval.page if kind == "a" else actions.page
    status, html = render(config, link_id, method, form, lang)
    return Response(
        status_code=status, content_type="text/html; charset=utf-8", body=html, headers=HEADERS
    )


@app.route("/<kind>/<link_id>", method=["GET", "POST"])
def link_page(kind: str, link_id: str) -> Response:
    if kind not in ("a", "m"):
        return Response(404, "text/plain", "not found")
    return _page(kind, link_id, app.current_event.request_context.http.method.upper())


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
