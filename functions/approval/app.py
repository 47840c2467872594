"""Links: approval pages (/a/...) and actions on mentions (/m/...); GET shows, POST acts."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from portevoix.logs import install as redact_secrets

logger = redact_secrets(Logger(service="approval"))
app = APIGatewayHttpResolver()
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _answer(link_id: str, method: str, form: dict[str, str]) -> Response:
    from portevoix import approval, runtime

    config = runtime.config()
    lang = approval.pick_language(app.current_event.headers.get("accept-language"), config.language)
    status, html = approval.page(config, link_id, method, form, lang)
    return Response(
        status_code=status, content_type="text/html; charset=utf-8", body=html, headers=HEADERS
    )


@app.get("/a/<link_id>")
def show(link_id: str) -> Response:
    return _answer(link_id, "GET", {})


@app.post("/a/<link_id>")
def decide(link_id: str) -> Response:
    body = app.current_event.decoded_body or ""
    form = {k: v[-1] for k, v in parse_qs(body, max_num_fields=10).items()}
    return _answer(link_id, "POST", form)


def _mention_page(link_id: str, method: str, form: dict[str, str]) -> Response:
    from portevoix import actions, approval, runtime

    config = runtime.config()
    lang = approval.pick_language(app.current_event.headers.get("accept-language"), config.language)
    status, html = actions.page(config, link_id, method, form, lang)
    return Response(
        status_code=status, content_type="text/html; charset=utf-8", body=html, headers=HEADERS
    )


@app.get("/m/<link_id>")
def show_mention(link_id: str) -> Response:
    return _mention_page(link_id, "GET", {})


@app.post("/m/<link_id>")
def act_on_mention(link_id: str) -> Response:
    body = app.current_event.decoded_body or ""
    return _mention_page(
        link_id, "POST", {k: v[-1] for k, v in parse_qs(body, max_num_fields=10).items()}
    )


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
