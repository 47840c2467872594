"""The local mode: the deployed handlers, run on one machine with moto as AWS.

The table is created from ``infra/template.yaml`` itself, so local runs and
deployments cannot drift. Its items are saved under the local home
(``.portevoix/`` or ``$PORTEVOIX_HOME``) when a command ends and loaded when
the next one starts; emails land in ``<home>/outbox`` as .eml and .html.
This module is a development tool: it is not shipped in the Lambda layer.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
import uuid
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from portevoix.core import aws, runtime

REGION = "eu-west-3"
TABLE = "portevoix-local"
CONFIG_PARAMETER = "/portevoix/config"
DATA_BUCKET = "portevoix-local-data"
NEWSLETTER_QUEUE = "portevoix-local-newsletter"


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def template_path() -> Path:
    return Path(os.environ.get("PORTEVOIX_TEMPLATE") or repo_root() / "infra" / "template.yaml")


def default_home() -> Path:
    return Path(os.environ.get("PORTEVOIX_HOME") or ".portevoix")


class _CfnLoader:
    """A YAML loader that reads CloudFormation short tags (!Ref, !Sub...) as plain values."""

    @staticmethod
    def load(text: str) -> Any:
        import yaml

        class Loader(yaml.SafeLoader):
            pass

        def any_tag(loader: Any, suffix: str, node: Any) -> Any:
            if isinstance(node, yaml.ScalarNode):
                return {suffix: loader.construct_scalar(node)}
            if isinstance(node, yaml.SequenceNode):
                return {suffix: loader.construct_sequence(node, deep=True)}
            return {suffix: loader.construct_mapping(node, deep=True)}

        Loader.add_multi_constructor("!", any_tag)
        return yaml.load(text, Loader=Loader)  # noqa: S506 - SafeLoader subclass


def load_template(path: Path | None = None) -> dict[str, Any]:
    return _CfnLoader.load((path or template_path()).read_text(encoding="utf-8"))


def table_definition(path: Path | None = None) -> dict[str, Any]:
    """CreateTable arguments built from the template's table resource."""
    resources = load_template(path)["Resources"]
    tables = [r for r in resources.values() if r.get("Type") == "AWS::DynamoDB::Table"]
    if len(tables) != 1:
        raise RuntimeError(f"expected one DynamoDB table in the template, found {len(tables)}")
    props = tables[0]["Properties"]
    args: dict[str, Any] = {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return args


def create_table(name: str = TABLE, client: Any = None, *, stream: bool = True) -> None:
    ddb = client or aws.client("dynamodb")
    definition = table_definition()
    spec = definition.pop("StreamSpecification", None)
    ddb.create_table(TableName=name, **definition)
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    if stream and spec:
        ddb.update_table(TableName=name, StreamSpecification=spec)


def enable_stream(name: str = TABLE) -> None:
    """Turn the template's stream on (after a reload, so that only new writes are records)."""
    spec = table_definition().get("StreamSpecification")
    if spec:
        aws.client("dynamodb").update_table(TableName=name, StreamSpecification=spec)


class Journal:
    """The local table on disk: a snapshot plus the stream records written since.

    A command appends what it changed (the table's stream records: new images
    and removed keys), so saving costs what the command wrote, not what the
    table holds. Loading folds the journal into the snapshot in memory; the
    two are merged on disk only once the journal outgrows the snapshot.
    """

    def __init__(self, folder: Path):
        self.snapshot = folder / "table.json"
        self.journal = folder / "journal.jsonl"
        self._lock = threading.Lock()

    def load(self) -> list[dict[str, Any]]:
        """Every item (DynamoDB JSON), snapshot and journal folded together."""
        items: dict[tuple[str, str], dict[str, Any]] = {}
        try:
            if self.snapshot.exists():
                for item in json.loads(self.snapshot.read_text(encoding="utf-8")):
                    items[(item["PK"]["S"], item["SK"]["S"])] = item
            lines = 0
            if self.journal.exists():
                with self.journal.open(encoding="utf-8") as f:
                    for line in f:
                        if not line.strip():
                            continue
                        try:
                            entry = json.loads(line)
                        except json.JSONDecodeError:
                            break  # a line cut by a crash: what precedes it is whole
                        lines += 1
                        key = (entry["keys"]["PK"]["S"], entry["keys"]["SK"]["S"])
                        if entry["op"] == "REMOVE":
                            items.pop(key, None)
                        else:
                            items[key] = entry["item"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise RuntimeError(
                f"the local state in {self.snapshot.parent} is unreadable ({exc}); "
                "move it away to start afresh"
            ) from None
        if lines > max(1000, len(items)):
            self.compact(list(items.values()))
        return list(items.values())

    def compact(self, items: list[dict[str, Any]]) -> None:
        with self._lock:
            self.snapshot.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.snapshot.with_suffix(".tmp")
            tmp.write_text(json.dumps(items), encoding="utf-8")
            tmp.replace(self.snapshot)
            self.journal.unlink(missing_ok=True)

    def append(self, records: list[dict[str, Any]]) -> None:
        """Append stream records (what a command changed), flushed to disk."""
        if not records:
            return
        lines = []
        for r in records:
            data = r["dynamodb"]
            entry = {"op": r["eventName"], "keys": data["Keys"]}
            if r["eventName"] != "REMOVE":
                entry["item"] = data["NewImage"]
            lines.append(json.dumps(entry, separators=(",", ":")))
        with self._lock:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            with self.journal.open("a", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
                f.flush()
                os.fsync(f.fileno())


def load_items(items: list[dict[str, Any]], name: str = TABLE) -> None:
    ddb = aws.client("dynamodb")
    for i in range(0, len(items), 25):
        ddb.batch_write_item(
            RequestItems={name: [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]}
        )


def provision(sender: str | None, config_text: str | None, *, stream: bool = True) -> None:
    """The stack's resources in the emulated AWS: table, sender identity, configuration."""
    create_table(stream=stream)
    aws.client("s3").create_bucket(
        Bucket=DATA_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    os.environ["DATA_BUCKET"] = DATA_BUCKET
    # The newsletter's sending queue (its consumer is `local serve`'s sender thread).
    queue = aws.client("sqs").create_queue(QueueName=NEWSLETTER_QUEUE)["QueueUrl"]
    os.environ["NEWSLETTER_QUEUE_URL"] = queue
    if sender:
        aws.client("ses").verify_email_identity(EmailAddress=sender)
    if config_text is not None:
        aws.client("ssm").put_parameter(
            Name=CONFIG_PARAMETER, Value=config_text, Type="String", Tier="Advanced", Overwrite=True
        )


def handler(function: str) -> Any:
    """The deployed handler of ``functions/<function>/app.py``, loaded when first invoked.

    As on Lambda, a function's module (and its Powertools logger) is created
    when the function runs, after the CLI has set the environment it reads.
    """
    return importlib.import_module(f"functions.{function}.app").lambda_handler


class LambdaContext:
    """The parts of a Lambda context the handlers and Powertools read."""

    def __init__(self, function_name: str, timeout_seconds: int = 300):
        import time

        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:000000000000:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        import time

        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_state(home: Path, sender: str | None, config_text: str | None) -> StreamPump:
    """Provision the stack in the emulated AWS and reload its table from ``home``.

    The stream is turned on after the reload, so the returned pump (which
    journals every record it reads) sees only what changes from now on.
    """
    journal = Journal(home / "state")
    provision(sender, config_text, stream=False)
    load_items(journal.load())
    enable_stream()
    return StreamPump(start="TRIM_HORIZON", journal=journal)


class LocalStack:
    """moto as AWS for the duration of a ``with`` block, state kept on disk."""

    def __init__(
        self, home: Path | None = None, config_text: str | None = None, sender: str | None = None
    ):
        self.home = Path(home or default_home())
        self.config_text = config_text
        self.sender = sender
        self._saved_env: dict[str, str | None] = {}
        self._mock: Any = None

    @property
    def journal(self) -> Journal:
        return Journal(self.home / "state")

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    def _setenv(self, **values: str) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def __enter__(self) -> LocalStack:
        from moto import mock_aws

        self.home.mkdir(parents=True, exist_ok=True)
        self._setenv(
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",  # noqa: S106 - moto's fake credentials
            AWS_SESSION_TOKEN="local",  # noqa: S106
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            TABLE_NAME=TABLE,
            CONFIG_PARAMETER=CONFIG_PARAMETER,
            PORTEVOIX_OUTBOX=str(self.outbox.resolve()),
            POWERTOOLS_METRICS_NAMESPACE="Portevoix",
        )
        self._saved_env.setdefault(
            "PORTEVOIX_AWS_ENDPOINT", os.environ.get("PORTEVOIX_AWS_ENDPOINT")
        )
        os.environ.pop("PORTEVOIX_AWS_ENDPOINT", None)
        aws.reset()
        runtime.reset()
        self._mock = mock_aws()
        self._mock.start()
        partition_queries()
        try:
            self.stream = load_state(self.home, self.sender, self.config_text)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._mock is not None:
                self.stream.records()  # journaled: what was written is real, even on failure
        finally:
            if self._mock is not None:
                self._mock.stop()
                self._mock = None
            aws.reset()
            runtime.reset()
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._saved_env.clear()

    def invoke(self, handler: Any, event: dict[str, Any], function_name: str) -> Any:
        """Call a Lambda handler in-process with a Lambda-like context."""
        return handler(event, LambdaContext(function_name))

    def deliver_stream(self) -> None:
        """What DynamoDB Streams would trigger: the reply function on the new records."""
        self.stream.pump(handler("reply"))


# ---------------------------------------------------------------------------
# A static feed server with real conditional GET, for the demo and tests.


class QuietServer(ThreadingHTTPServer):
    """A client closing a kept-alive connection is normal, not an error to print."""

    daemon_threads = True
    request_queue_size = 128  # a pool of 16 fetchers connecting at once overflows the default 5

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FeedServer:
    """Serves ``{path: (body, content_type)}`` on 127.0.0.1 with ETag and Last-Modified."""

    def __init__(self, routes: dict[str, tuple[bytes, str]] | None = None, port: int = 0):
        self.routes: dict[str, tuple[bytes, str, str, float]] = {}
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        for path, (body, ctype) in (routes or {}).items():
            self.set(path, body, ctype)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.hits[path] = server.hits.get(path, 0) + 1
                    route = server.routes.get(path)
                if route is None:
                    self._send(404, b"not found", "text/plain")
                    return
                body, ctype, etag, mtime = route
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                fresh = inm == etag if inm else False
                if not inm and ims:
                    try:
                        fresh = parsedate_to_datetime(ims).timestamp() >= int(mtime)
                    except (TypeError, ValueError):
                        fresh = False
                if fresh:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(200, body, ctype, etag, formatdate(mtime, usegmt=True))

            def _send(
                self, status: int, body: bytes, ctype: str, etag: str = "", lm: str = ""
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                if lm:
                    self.send_header("Last-Modified", lm)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = QuietServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def set(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> None:
        import time

        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        with self._lock:
            self.routes[path] = (body, content_type, etag, time.time())

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------------
# The publish workflow: moto runs infra/statemachines/publish.asl.json itself,
# and its Lambda tasks call the real handlers in this process.

MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
FUNCTIONS = {
    "portevoix-publish": "functions.publish.app:lambda_handler",
}


_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def atomic_table_writes() -> None:
    """Make moto's DynamoDB writes one at a time, as DynamoDB makes each item's writes.

    DynamoDB applies a conditional write or an ``ADD`` atomically; moto reads, changes
    and stores the item in Python, so two threads of `local serve` can lose an update
    (measured: 15 of 2,000 concurrent clicks). One lock around its writes restores
    what the code relies on (claims, counters) at the local mode's modest rates.
    """
    import functools
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_portevoix_atomic", False):
        return
    lock = threading.RLock()
    for name in _WRITES:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    DynamoDBBackend._portevoix_atomic = True  # type: ignore[attr-defined]


def partition_queries() -> None:
    """Make moto answer a Query on the table's own key from that one partition.

    moto lists and sorts every item of the table for each Query, then keeps the
    partition asked for: at a few thousand items a Query costs tenths of a
    second, and the crisis check (a week of hourly counters, eight Queries) of
    each stream batch held `local serve` for most of a 1,000-feed poll. DynamoDB
    reads the partition; so does this. Queries on an index are left as moto does them.
    """
    import inspect
    import threading

    from moto.dynamodb.models.table import Table

    if getattr(Table, "_portevoix_partitions", False):
        return
    query, all_items = Table.query, Table.all_items
    signature = inspect.signature(query)
    asked = threading.local()

    def partition_items(self: Any) -> list[Any]:
        only = getattr(asked, "partition", None)
        if only is None or only[0] is not self:
            return all_items(self)
        found = self.items.get(only[1])
        if found is None:
            return []
        return list(found.values()) if self.range_key_attr else [found]

    def partition_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        if bound.get("index_name") or bound.get("hash_key") is None:
            return query(self, *args, **kwargs)
        asked.partition = (self, bound["hash_key"])
        try:
            return query(self, *args, **kwargs)
        finally:
            asked.partition = None

    Table.query, Table.all_items = partition_query, partition_items
    Table._portevoix_partitions = True  # type: ignore[attr-defined]


def cached_service_names() -> None:
    """Make moto's server list its services once: to route each request it lists its own
    package directory (a ``stat`` per service, ~200), a fifth of a write's time in `local serve`.
    """
    import functools

    from moto import backends

    if getattr(backends.list_of_moto_modules, "cache_info", None):
        return
    listed = backends.list_of_moto_modules
    backends.list_of_moto_modules = functools.cache(lambda: tuple(listed()))


def asl_path() -> Path:
    return repo_root() / "infra" / "statemachines" / "publish.asl.json"


def route_lambdas(handlers: dict[str, Any]) -> None:
    """Make moto's Lambda backend call ``handlers[name](event, context)`` in-process."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke(
        self: Any,
        function_name: str,
        qualifier: Any,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> bytes:
        name = function_name.split(":function:")[-1].split(":")[0]
        handler = handlers[name]
        if isinstance(handler, str):
            module, attr = handler.split(":")
            handler = getattr(__import__(module, fromlist=[attr]), attr)
        event = json.loads(body) if body else {}
        try:
            result = handler(event, LambdaContext(name))
        except Exception as exc:  # noqa: BLE001 - reported to Step Functions as AWS does
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()
        return json.dumps(result).encode()

    LambdaSimpleBackend.invoke = invoke


def create_workflow(approval_timeout: int = 7 * 24 * 3600, retry_interval: int = 1) -> str:
    """Create the publish function and state machine in moto; return the state machine ARN."""
    import io
    import zipfile

    iam = aws.client("iam")
    role = iam.create_role(
        RoleName="portevoix-local",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
    arns = {}
    for name in FUNCTIONS:
        arns[name] = aws.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.lambda_handler",
            Code={"ZipFile": buffer.getvalue()},
        )["FunctionArn"]
    definition = asl_path().read_text(encoding="utf-8")
    for key, value in {
        "PublishFunctionArn": arns["portevoix-publish"],
        "ApprovalTimeoutSeconds": str(approval_timeout),
        "RetryIntervalSeconds": str(retry_interval),
    }.items():
        definition = definition.replace("${" + key + "}", value)
    sm = aws.client("stepfunctions").create_state_machine(
        name="portevoix-publish", definition=definition, roleArn=role, type="STANDARD"
    )
    os.environ["STATE_MACHINE_ARN"] = sm["stateMachineArn"]
    return sm["stateMachineArn"]


def stream_consumer(path: Path | None = None) -> tuple[str, int, list[dict[str, Any]]]:
    """The function the template triggers on the table's stream, its batch size and filters."""
    for resource in load_template(path)["Resources"].values():
        props = resource.get("Properties", {})
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "DynamoDB":
                ev = event.get("Properties", {})
                patterns = [
                    json.loads(f["Pattern"])
                    for f in (ev.get("FilterCriteria") or {}).get("Filters", [])
                ]
                function = str(props.get("CodeUri", "")).rstrip("/").rsplit("/", 1)[-1]
                return function, int(ev.get("BatchSize", 100)), patterns
    raise RuntimeError("the template has no function on the table's stream")


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """An event-source-mapping filter pattern (equality lists, ``prefix`` and ``exists``)."""
    if not isinstance(event, dict):
        return False
    for key, want in pattern.items():
        if isinstance(want, dict):
            if not matches(want, event.get(key)):
                return False
            continue
        value = event.get(key)
        ok = False
        for option in want:
            if isinstance(option, dict) and "prefix" in option:
                ok = isinstance(value, str) and value.startswith(option["prefix"])
            elif isinstance(option, dict) and "exists" in option:
                ok = (key in event) == bool(option["exists"])
            else:
                ok = value == option
            if ok:
                break
        if not ok:
            return False
    return True


class StreamPump:
    """Reads the table's stream and hands it to the function the template puts on it.

    moto never triggers Lambda, so the local mode does what the event source
    mapping does: the template's filter, its batch size, Lambda-shaped events.
    moto runs in this process (the local stack and ``local serve`` both hold
    it), so its stream is read where it is kept, to its end: its own
    ``get_records`` serializes every image (seconds per thousand records) and
    pages at 1,000.
    """

    def __init__(self, table: str = TABLE, start: str = "LATEST", journal: Journal | None = None):
        self.journal = journal
        self.table = table
        self._lock = threading.Lock()
        self.function, self.batch_size, self.filters = stream_consumer()
        self.arn = aws.client("dynamodb").describe_table(TableName=table)["Table"][
            "LatestStreamArn"
        ]
        self._shard = self._local_shard()
        self._next = 0 if start == "TRIM_HORIZON" else len(self._shard.items)

    def _local_shard(self) -> Any:
        """moto's stream shard of the table, in this process."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        region = os.environ.get("AWS_REGION", REGION)
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables.get(self.table)
        if table is None or table.stream_shard is None:
            raise RuntimeError(f"table {self.table} has no stream in this process's moto")
        return table.stream_shard

    def records(self) -> list[dict[str, Any]]:
        """Every record written since the last call (journaled when there is a journal)."""
        with self._lock:
            return self._records()

    def _records(self) -> list[dict[str, Any]]:
        raw = self._read_local()
        out = []
        for r in raw:
            dynamodb = dict(r["dynamodb"])
            created = dynamodb.get("ApproximateCreationDateTime")
            if hasattr(created, "timestamp"):
                dynamodb["ApproximateCreationDateTime"] = created.timestamp()
            out.append(
                {
                    **{k: v for k, v in r.items() if k != "dynamodb"},
                    "dynamodb": dynamodb,
                    "eventSourceARN": self.arn,
                }
            )
        if self.journal is not None:
            self.journal.append(out)
        return out

    def _read_local(self) -> list[dict[str, Any]]:
        items = self._shard.items
        new = [r.to_json() for r in items[self._next :]]
        self._next = len(items)
        return new

    def pump(self, handler: Any, batch_size: int | None = None) -> list[dict[str, Any]]:
        """Hand every new record that passes the template's filter to ``handler``, in batches."""
        answers: list[dict[str, Any]] = []
        with self._lock:
            for _ in range(20):  # what the handler writes is read (and journaled) in turn
                records = self._records()
                if not records:
                    break
                wanted = [r for r in records if self._wanted(r)]
                answers += self._deliver(wanted, handler, batch_size or self.batch_size)
        return answers

    def _wanted(self, record: dict[str, Any]) -> bool:
        return not self.filters or any(matches(p, record) for p in self.filters)

    def _deliver(
        self, records: list[dict[str, Any]], handler: Any, batch_size: int
    ) -> list[dict[str, Any]]:
        answers = []
        for i in range(0, len(records), batch_size):
            answers.append(
                handler(
                    {"Records": records[i : i + batch_size]},
                    LambdaContext(f"portevoix-{self.function}"),
                )
            )
        return answers
