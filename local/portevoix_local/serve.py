"""``portevoix local serve``: the whole stack on one machine until stopped.

- moto in server mode is the AWS of the stack; its Step Functions interpreter
  runs infra/statemachines/publish.asl.json and its Lambda tasks call the
  real handlers in this process;
- the schedules fire (veille every fetch interval, digest at the configured
  hour, engagement reads and account check daily, the report on Mondays)
  with the events EventBridge Scheduler sends;
- http://127.0.0.1:PORT serves the stack's HTTP API (the studio, approval and
  action pages; requests adapted to the HTTP API v2 events the function
  receives) and an outbox viewer at /outbox.

Other commands find the running stack through ``<home>/serve.json``.
Not shipped in the Lambda layer.
"""

from __future__ import annotations

import base64
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
    MOTO_CONFIG,
    REGION,
    TABLE,
    LambdaContext,
    QuietServer,
    atomic_table_writes,
    cached_service_names,
    create_workflow,
    handler,
    load_state,
    load_template,
    partition_queries,
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
        "headers": {k.lower(): v for k, v in headers.items() if k.lower() != "cookie"},
        # API Gateway hands cookies over as a list, not as a header
        "cookies": [
            c.strip()
            for k, v in headers.items()
            if k.lower() == "cookie"
            for c in v.split(";")
            if c.strip()
        ],
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
        idle_exit: float | None = None,
        config_path: Path | None = None,
    ):
        self.home = home
        self.config_path = config_path  # the studio's saves are written back to it
        self.config_text = config_text
        self.config = config
        self.port = port
        self.fire_schedules = fire_schedules
        self.idle_exit = idle_exit  # stop after this many seconds nobody asked anything
        self.last_activity = time.monotonic()
        self.stop_event = threading.Event()
        self.info_file = home / "serve.json"
        self.token = secrets.token_urlsafe(24)  # other commands prove they read serve.json

    # -- start ---------------------------------------------------------------

    def start(self) -> LocalServer:
        import logging

        from moto import mock_aws
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
        self.home.mkdir(parents=True, exist_ok=True)
        # One moto, two doors: this process's handlers reach it in-process (mock_aws),
        # other commands over HTTP (the server); both see the same backends.
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        atomic_table_writes()  # threads of this server write the table at once
        partition_queries()  # a Query reads its partition, not the whole table
        cached_service_names()  # moto's router lists its services once
        moto_port = _free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self.moto.start()
        self.endpoint = f"http://127.0.0.1:{moto_port}"
        os.environ.pop("PORTEVOIX_AWS_ENDPOINT", None)
        # Browsers upload the studio's images to the bucket here (the same moto backends).
        os.environ["PORTEVOIX_MEDIA_ENDPOINT"] = self.endpoint
        os.environ.update(
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_DEFAULT_REGION=REGION,  # noqa: S106
            AWS_REGION=REGION,
            TABLE_NAME=TABLE,
            CONFIG_PARAMETER=CONFIG_PARAMETER,
            PORTEVOIX_OUTBOX=str((self.home / "outbox").resolve()),
            APPROVAL_BASE_URL=f"http://127.0.0.1:{self.port}",
            TZ="UTC",
        )
        time.tzset()  # moto compares Wait timestamps in local time
        aws.reset()
        runtime.reset()
        route_lambdas(FUNCTIONS)
        self.stream = load_state(self.home, self.config.sender, self.config_text)
        self._keep_edits()
        arn = create_workflow()
        self._start_http()
        self.info_file.write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "url": f"http://127.0.0.1:{self.port}",
                    "aws_endpoint": self.endpoint,
                    "table": TABLE,
                    "state_machine_arn": arn,
                    "region": REGION,
                    "outbox": str((self.home / "outbox").resolve()),
                    "data_bucket": DATA_BUCKET,
                    "newsletter_queue": os.environ["NEWSLETTER_QUEUE_URL"],
                    "token": self.token,
                }
            )
        )
        threading.Thread(target=self._stream_loop, daemon=True).start()
        if os.environ.get("PORTEVOIX_LOCAL_SENDER", "on") != "off":  # benches drive it
            threading.Thread(target=self._newsletter_loop, daemon=True).start()
        if self.fire_schedules:
            threading.Thread(target=self._schedules, daemon=True).start()
        return self

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def _stream_loop(self) -> None:
        """Deliver the stream as its event source mapping would; stop when idle too long."""
        while not self.stop_event.wait(2):
            try:
                self.stream.pump(handler(self.stream.function))
            except Exception as exc:  # noqa: BLE001 - reported; the next round retries
                print(f"stream delivery failed: {exc}", flush=True)
            if self.idle_exit and time.monotonic() - self.last_activity > self.idle_exit:
                print(f"idle for {self.idle_exit:.0f} s: stopping", flush=True)
                self.stop_event.set()

    def _newsletter_loop(self) -> None:
        """Send the queued newsletter batches as the SQS event source would (one sender)."""
        from portevoix.newsletter import issues

        while not self.stop_event.wait(2):
            try:
                config = runtime.config()
                if config.newsletter.enabled:
                    issues.drain(config)
            except Exception as exc:  # noqa: BLE001 - reported; the batch comes back later
                print(f"newsletter sending failed: {exc}", flush=True)

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
                headers: dict[str, str] | list[tuple[str, str]] | None = None,
            ) -> None:
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                pairs = headers.items() if isinstance(headers, dict) else headers or []
                for k, v in pairs:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _any(self) -> None:
                parts = urlsplit(self.path)
                path = parts.path
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 64 * 1024)) if length else b""
                server.touch()
                if path.startswith("/_local/"):
                    self._control(path, body)
                elif path in ("/outbox", "/outbox/"):
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
                else:  # the stack's HTTP API: studio, approval and action pages
                    event = http_event(self.command, path, parts.query, dict(self.headers), body)
                    resp = handler("approval")(event, LambdaContext("portevoix-approval"))
                    headers = [
                        (k, v)
                        for k, v in (resp.get("headers") or {}).items()
                        if k.lower() != "content-type"
                    ]
                    headers += [("Set-Cookie", c) for c in resp.get("cookies") or []]
                    raw = resp.get("body") or ""
                    self._reply(
                        resp["statusCode"],
                        base64.b64decode(raw) if resp.get("isBase64Encoded") else raw,
                        (resp.get("headers") or {}).get("Content-Type", "text/html; charset=utf-8"),
                        headers,
                    )

            def _control(self, path: str, body: bytes) -> None:
                """The other commands' requests: prove they read serve.json (its token)."""
                if self.command != "POST" or not hmac.compare_digest(
                    self.headers.get("X-Portevoix-Local", ""), server.token
                ):
                    self._reply(403, "forbidden", "text/plain")
                elif path == "/_local/pump":
                    answers = server.stream.pump(handler(server.stream.function))
                    self._reply(200, json.dumps({"batches": len(answers)}), "application/json")
                elif path == "/_local/config":
                    server.reconfigure(body)
                    self._reply(200, "{}", "application/json")
                elif path == "/_local/stop":
                    server.stop_event.set()
                    self._reply(200, "{}", "application/json")
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

    # -- what the studio changes outlives the process -------------------------

    def _keep_edits(self) -> None:
        """Tokens stored by "Connect" and configurations saved by the studio survive a restart.

        moto keeps SSM in memory: the tokens are kept in ``<home>/secrets.json``
        (mode 0600, like a credentials file) and loaded back here; a saved
        configuration is written to the file ``local serve`` was started with
        (the previous one kept as ``<file>~``), since commands read that file.
        """
        from portevoix.core import configstore
        from portevoix.core import secrets as secret_store

        kept = self.home / "secrets.json"
        saved: dict[str, str] = {}
        if kept.exists():
            saved = json.loads(kept.read_text(encoding="utf-8"))
        ssm = aws.client("ssm")
        for name, value in saved.items():
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)

        def keep_secret(ref: str, value: str) -> None:
            if ref.startswith("ssm:"):
                saved[ref[4:]] = value
                kept.touch(mode=0o600)
                kept.write_text(json.dumps(saved, indent=1), encoding="utf-8")

        def keep_config(text: str) -> None:
            self.config_text = text
            if self.config_path is None:
                return
            if self.config_path.exists():
                backup = self.config_path.with_name(self.config_path.name + "~")
                backup.write_bytes(self.config_path.read_bytes())
            tmp = self.config_path.with_name(self.config_path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(self.config_path)

        secret_store.after_store[:] = [keep_secret]
        configstore.after_save[:] = [keep_config]

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

    def run(self, schedule: schedules.Schedule, now: datetime) -> Any:
        """One scheduled invocation of the schedule's function."""
        event = schedules.schedule_event(schedule, now)
        return handler(schedule.function)(event, LambdaContext(f"portevoix-{schedule.function}"))

    def reconfigure(self, body: bytes) -> None:
        """A command's configuration becomes the stack's (as a deployer updates the parameter)."""
        data = json.loads(body or b"{}")
        text, sender = data.get("config"), data.get("sender")
        if text:
            aws.client("ssm").put_parameter(
                Name=CONFIG_PARAMETER, Value=text, Type="String", Tier="Advanced", Overwrite=True
            )
            runtime.reset()
        if sender:
            aws.client("ses").verify_email_identity(EmailAddress=sender)

    # -- stop ----------------------------------------------------------------

    def stop(self) -> None:
        self.stop_event.set()
        try:
            # What is left on the stream reaches its function (and the journal) before the end.
            self.stream.pump(handler(self.stream.function))
        finally:
            self.httpd.shutdown()
            self.moto.stop()
            self._mock.stop()
            self.info_file.unlink(missing_ok=True)
            from portevoix.core import configstore
            from portevoix.core import secrets as secret_store

            secret_store.after_store.clear()
            configstore.after_save.clear()
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
        NEWSLETTER_QUEUE_URL=info.get("newsletter_queue", ""),
    )
    aws.reset()
    runtime.reset()
    return info


class RunningStack:
    """A command run against the ``local serve`` of its home: that stack's AWS and stream.

    The same interface as ``LocalStack``; the serve process consumes the
    stream (and journals it), so ``deliver_stream`` asks it to do so now.
    """

    def __init__(self, home: Path, config_text: str | None = None, sender: str | None = None):
        self.home = home
        self.outbox = home / "outbox"
        self.config_text = config_text
        self.sender = sender
        self._saved: dict[str, str | None] = {}

    def __enter__(self) -> RunningStack:
        self._saved = dict(os.environ)
        self.info = connect(self.home)
        if self.config_text is not None:
            self._control("/_local/config", {"config": self.config_text, "sender": self.sender})
        return self

    def _control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        import requests

        resp = requests.post(
            self.info["url"] + path,
            json=body or {},
            headers={"X-Portevoix-Local": self.info["token"]},
            timeout=900,
        )
        resp.raise_for_status()
        return resp.json()

    def __exit__(self, *exc: Any) -> None:
        os.environ.clear()
        os.environ.update({k: v for k, v in self._saved.items() if v is not None})
        aws.reset()
        runtime.reset()

    def invoke(self, function: Any, event: dict[str, Any], function_name: str) -> Any:
        return function(event, LambdaContext(function_name))

    def deliver_stream(self) -> None:
        """What the stream's consumer does with this command's writes, done now."""
        self._control("/_local/pump")


IDLE_SECONDS = 600


def start_background(home: Path, config: Path) -> dict[str, Any]:
    """Start the local stack of ``home`` in the background; return its description.

    It holds the table in memory and journals what changes, so a command
    costs what it does rather than a reload of the whole table. It fires no
    schedule (``local serve`` does) and stops after ``PORTEVOIX_LOCAL_IDLE_SECONDS``
    (600) without a request, or with ``portevoix local stop``.
    """
    import fcntl
    import subprocess
    import sys

    home.mkdir(parents=True, exist_ok=True)
    with (home / "serve.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two commands at once start one stack
        info = running(home)
        if info:
            return info
        (home / "serve.json").unlink(missing_ok=True)
        log = home / "serve.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "portevoix_local.cli",
                    "--home",
                    str(home),
                    "local",
                    "serve",
                    "--config",
                    str(config),
                    "--port",
                    "0",
                    "--background",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            info = running(home)
            if info:
                return info
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        proc.kill()
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the local stack did not start (see {log}):\n{tail}")


def stop_running(home: Path, timeout: float = 60) -> bool:
    """Ask the local stack of ``home`` to stop (its journal complete); False if none ran."""
    import requests

    info = running(home)
    if not info:
        return False
    requests.post(
        info["url"] + "/_local/stop", headers={"X-Portevoix-Local": info["token"]}, timeout=30
    )
    deadline = time.monotonic() + timeout
    while running(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    return True


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
