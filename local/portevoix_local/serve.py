"""``portevoix local serve``: the whole stack on one machine until stopped.

- moto in server mode is the AWS of the stack; its Step Functions interpreter
  runs infra/statemachines/publish.asl.json and its Lambda tasks call the
  real handlers in this process;
- the schedules fire (veille every fetch interval, digest at the configured
  hour, engagement reads and account check daily, the report on Mondays)
  with the events EventBridge Scheduler sends;
- http://127.0.0.1:PORT serves the approval pages (requests adapted to the
  HTTP API v2 events the approval function receives) and an outbox viewer.

Other commands find the running stack through ``<home>/serve.json``.
Not shipped in the Lambda layer.
"""

from __future__ import annotations

import hmac
import html
import json
import os
import secrets
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from portevoix.core import aws, runtime
from portevoix_local import schedules
from portevoix_local.stack import (
    CONFIG_PARAMETER,
    DATA_BUCKET,
    FUNCTIONS,
    REGION,
    TABLE,
    LambdaContext,
    QuietServer,
    create_workflow,
    handler,
    load_state,
    load_template,
    route_lambdas,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_event(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event for a local request."""
    now = datetime.now(UTC)
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": f"local-{time.time_ns()}",
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": body.decode("utf-8", "replace") if body else None,
        "isBase64Encoded": False,
    }


class LocalServer:
    def __init__(
        self,
        home: Path,
        config_text: str,
        config: Any,
        port: int = 8787,
        fire_schedules: bool = True,
    ):
        self.home = home
        self.config_text = config_text
        self.config = config
        self.port = port
        self.fire_schedules = fire_schedules
        self.stop_event = threading.Event()
        self.info_file = home / "serve.json"
        self.token = secrets.token_urlsafe(24)  # other commands prove they read serve.json

    # -- start ---------------------------------------------------------------

    def start(self) -> LocalServer:
        import logging

        import requests
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
        self.home.mkdir(parents=True, exist_ok=True)
        moto_port = _free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self.moto.start()
        endpoint = f"http://127.0.0.1:{moto_port}"
        requests.post(
            f"{endpoint}/moto-api/config",
            json={
                "stepfunctions": {"execute_state_machine": True},
                "lambda": {"use_docker": False},
            },
            timeout=10,
        )
        os.environ.update(
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_DEFAULT_REGION=REGION,  # noqa: S106
            AWS_REGION=REGION,
            TABLE_NAME=TABLE,
            CONFIG_PARAMETER=CONFIG_PARAMETER,
            MOTO_PORT=str(moto_port),
            PORTEVOIX_AWS_ENDPOINT=endpoint,
            PORTEVOIX_OUTBOX=str((self.home / "outbox").resolve()),
            APPROVAL_BASE_URL=f"http://127.0.0.1:{self.port}",
            TZ="UTC",
        )
        time.tzset()  # moto compares Wait timestamps in local time
        aws.reset()
        runtime.reset()
        route_lambdas(FUNCTIONS)
        self.stream = load_state(self.home, self.config.sender, self.config_text)
        arn = create_workflow()
        self._start_http()
        self.info_file.write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "url": f"http://127.0.0.1:{self.port}",
                    "aws_endpoint": endpoint,
                    "table": TABLE,
                    "state_machine_arn": arn,
                    "region": REGION,
                    "outbox": str((self.home / "outbox").resolve()),
                    "data_bucket": DATA_BUCKET,
                    "token": self.token,
                }
            )
        )
        if self.fire_schedules:
            threading.Thread(target=self._schedules, daemon=True).start()
        return self

    def _start_http(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(
                self,
                status: int,
                body: str | bytes,
                ctype: str = "text/html; charset=utf-8",
                headers: dict[str, str] | None = None,
            ) -> None:
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _any(self) -> None:
                parts = urlsplit(self.path)
                path = parts.path
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 64 * 1024)) if length else b""
                if path == "/_local/pump" and self.command == "POST":
                    if not hmac.compare_digest(
                        self.headers.get("X-Portevoix-Local", ""), server.token
                    ):
                        self._reply(403, "forbidden", "text/plain")
                        return
                    answers = server.stream.pump(handler("reply"))
                    self._reply(200, json.dumps({"batches": len(answers)}), "application/json")
                elif path.startswith(("/a/", "/m/")):
                    event = http_event(self.command, path, parts.query, dict(self.headers), body)
                    resp = handler("approval")(event, LambdaContext("portevoix-approval"))
                    self._reply(
                        resp["statusCode"],
                        resp.get("body") or "",
                        resp.get("headers", {}).get("Content-Type", "text/html; charset=utf-8"),
                        {
                            k: v
                            for k, v in resp.get("headers", {}).items()
                            if k.lower() != "content-type"
                        },
                    )
                elif path in ("/", "/outbox", "/outbox/"):
                    self._reply(200, server.index())
                elif path.startswith("/outbox/") and self.command == "GET":
                    name = unquote(path[len("/outbox/") :])
                    folder = (server.home / "outbox").resolve()
                    file = (folder / name).resolve()
                    if (
                        file.parent != folder
                        or not file.is_file()
                        or file.suffix not in (".html", ".eml")
                    ):
                        self._reply(404, "not found", "text/plain")
                        return
                    ctype = (
                        "text/html; charset=utf-8" if file.suffix == ".html" else "message/rfc822"
                    )
                    self._reply(
                        200,
                        file.read_bytes(),
                        ctype,
                        {"Content-Security-Policy": "script-src 'none'"},
                    )
                else:
                    self._reply(404, "not found", "text/plain")

            do_GET = do_POST = _any  # noqa: N815

        self.httpd = QuietServer(("127.0.0.1", self.port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        ).start()
        os.environ["APPROVAL_BASE_URL"] = f"http://127.0.0.1:{self.port}"

    def index(self) -> str:
        files = (
            sorted((self.home / "outbox").glob("*.html"), reverse=True)
            if (self.home / "outbox").exists()
            else []
        )
        rows = "".join(
            f'<li><a href="/outbox/{html.escape(f.name)}">{html.escape(f.name)}</a></li>'
            for f in files[:200]
        )
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
            "<title>Porte-voix local</title></head><body style='font-family:sans-serif;max-width:720px;margin:auto'>"
            f"<h1>Porte-voix · {html.escape(self.config.brand.name)}</h1><h2>Outbox</h2><ul>{rows or '<li>(empty)</li>'}</ul>"
            "</body></html>"
        )

    # -- schedules -----------------------------------------------------------

    def _schedules(self) -> None:
        """Fire the template's schedules as EventBridge Scheduler would, and deliver the stream."""
        plan = schedules.from_template(
            load_template(),
            {"DigestHour": self.config.digest.hour, "TimeZone": self.config.timezone},
        )
        last: dict[str, datetime] = {}
        while not self.stop_event.wait(5):
            now = datetime.now(UTC)
            for schedule in plan:
                try:
                    if schedule.due(last.get(schedule.name), now):
                        last[schedule.name] = now
                        self.run(schedule, now)
                except Exception as exc:  # noqa: BLE001 - reported; the next one still fires
                    print(f"scheduled run {schedule.job} failed: {exc}")
            try:
                self.stream.pump(handler("reply"))
            except Exception as exc:  # noqa: BLE001
                print(f"stream delivery failed: {exc}")

    def run(self, schedule: schedules.Schedule, now: datetime) -> Any:
        """One scheduled invocation of the schedule's function."""
        event = schedules.schedule_event(schedule, now)
        return handler(schedule.function)(event, LambdaContext(f"portevoix-{schedule.function}"))

    # -- stop ----------------------------------------------------------------

    def stop(self) -> None:
        self.stop_event.set()
        try:
            self.stream.records()  # the rest of the stream, journaled
        finally:
            self.httpd.shutdown()
            self.moto.stop()
            self.info_file.unlink(missing_ok=True)
            aws.reset()
            runtime.reset()


def running(home: Path) -> dict[str, Any] | None:
    """The description of the ``local serve`` running for ``home``, or None."""
    info_file = home / "serve.json"
    try:
        info = json.loads(info_file.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none, or one that died without cleaning up
    return info


def connect(home: Path) -> dict[str, Any]:
    """Point this process at a running ``local serve``; return its description."""
    info = running(home)
    if info is None:
        raise RuntimeError(
            f"no local stack is running for {home}: start it with `portevoix local serve`"
        )
    os.environ.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION=info["region"],  # noqa: S106
        AWS_REGION=info["region"],
        TABLE_NAME=info["table"],
        PORTEVOIX_AWS_ENDPOINT=info["aws_endpoint"],
        STATE_MACHINE_ARN=info["state_machine_arn"],
        CONFIG_PARAMETER=CONFIG_PARAMETER,
        PORTEVOIX_OUTBOX=info["outbox"],
        DATA_BUCKET=info["data_bucket"],
        APPROVAL_BASE_URL=info["url"],
    )
    aws.reset()
    runtime.reset()
    return info


class RunningStack:
    """A command run against the ``local serve`` of its home: that stack's AWS and stream.

    The same interface as ``LocalStack``; the serve process consumes the
    stream (and journals it), so ``deliver_stream`` asks it to do so now.
    """

    def __init__(self, home: Path):
        self.home = home
        self.outbox = home / "outbox"
        self._saved: dict[str, str | None] = {}

    def __enter__(self) -> RunningStack:
        self._saved = dict(os.environ)
        self.info = connect(self.home)
        return self

    def __exit__(self, *exc: Any) -> None:
        os.environ.clear()
        os.environ.update({k: v for k, v in self._saved.items() if v is not None})
        aws.reset()
        runtime.reset()

    def invoke(self, function: Any, event: dict[str, Any], function_name: str) -> Any:
        return function(event, LambdaContext(function_name))

    def deliver_stream(self) -> None:
        import requests

        resp = requests.post(
            self.info["url"] + "/_local/pump",
            headers={"X-Portevoix-Local": self.info["token"]},
            timeout=600,
        )
        resp.raise_for_status()


def connect_stack(name: str) -> dict[str, Any]:
    """Point this process at a deployed stack, found through its CloudFormation outputs."""
    from botocore.exceptions import BotoCoreError, ClientError

    os.environ.pop("PORTEVOIX_AWS_ENDPOINT", None)
    aws.reset()
    try:
        stacks = aws.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    except (ClientError, BotoCoreError) as exc:
        raise RuntimeError(f"cannot read stack {name!r}: {exc}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    needed = ("TableName", "PublishStateMachineArn", "ConfigParameterName", "ApprovalApiUrl")
    missing = [k for k in needed if k not in outputs]
    if missing:
        raise RuntimeError(
            f"stack {name!r} has no output {', '.join(missing)}: is it a Porte-voix stack?"
        )
    os.environ.update(
        TABLE_NAME=outputs["TableName"],
        STATE_MACHINE_ARN=outputs["PublishStateMachineArn"],
        CONFIG_PARAMETER=outputs["ConfigParameterName"],
    )
    runtime.reset()
    return {"url": outputs["ApprovalApiUrl"].rstrip("/"), "stack": name}
