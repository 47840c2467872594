"""The stack's HTTP API: the studio, approval pages (/a/...) and mention actions (/m/...).

One route table (``portevoix.web.routes``); this handler only adapts the HTTP
API (payload 2.0) event and answer.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from portevoix.core.logs import install as redact_secrets

logger = redact_secrets(Logger(service="approval"))


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from portevoix.core import runtime
    from portevoix.web import routes
    from portevoix.web.http import Request

    return routes.handle(runtime.config(), Request.from_event(event)).to_event()
