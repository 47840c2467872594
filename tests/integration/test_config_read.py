"""How a deployed function reads the configuration: compiled once, then read from the table.

Whoever saves a version (the studio, ``config push``) or the first function to
read a hand-edited one validates it; every later cold start reads its compiled
form, and falls back to validating when that form is missing, stale or
unreadable. A broken text is still refused, field by field.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import yaml

from portevoix.core import compiled, configstore, runtime, store
from portevoix.core.errors import ConfigError
from tests.helpers import make_config

NAME = "/portevoix/config"


def _text(**overrides: Any) -> str:
    return yaml.safe_dump(make_config(**overrides).model_dump(mode="json"), allow_unicode=True)


@pytest.fixture
def parameter(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CONFIG_PARAMETER", NAME)
    monkeypatch.setenv("CONFIG_MAX_AGE", "0")

    def put(text: str) -> None:
        aws.client("ssm").put_parameter(
            Name=NAME, Value=text, Type="String", Tier="Advanced", Overwrite=True
        )
        runtime.reset()  # a new container

    return put


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources validated with pydantic in this process."""
    from portevoix.core import config as module

    seen: list[str] = []
    real = module.parse_config

    def counted(text: str, source: str = "<config>") -> Any:
        seen.append(source)
        return real(text, source)

    monkeypatch.setattr(module, "parse_config", counted)
    return seen


def _kept() -> list[dict[str, Any]]:
    return store.query("CONFIG#COMPILED", "0", "~")


def test_a_hand_edited_parameter_is_validated_once_then_read_compiled(
    parameter: Any, validations: list[str]
) -> None:
    parameter(_text(topics={"vélos": ["vélo", "cargo"]}))
    first = runtime.config()
    assert isinstance(first, compiled.Config) and first.topics["vélos"] == ["vélo", "cargo"]
    assert validations == [f"SSM parameter {NAME}"]
    assert len(_kept()) == 1
    runtime.reset()  # the next cold start
    again = runtime.config()
    assert again == first and validations == [f"SSM parameter {NAME}"]


def test_a_version_saved_by_the_studio_is_never_validated_by_the_functions(
    parameter: Any, validations: list[str]
) -> None:
    parameter(_text())
    configstore.save(_text(language="en"), based_on=None, by="camille@brand.example", note="en")
    validations.clear()
    runtime.reset()
    assert runtime.config().language == "en"
    assert validations == []


def test_a_compiled_form_from_other_code_or_unreadable_is_not_used(
    parameter: Any, validations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _text(language="en")
    parameter(text)
    runtime.config()
    # A new release: its stamp differs, so it validates the text itself once.
    monkeypatch.setattr(compiled, "stamp", lambda: "2-newer")
    runtime.reset()
    assert runtime.config().language == "en"
    assert len(validations) == 2 and len(_kept()) == 2
    # A damaged compiled form is replaced, not believed.
    digest = hashlib.sha256(text.encode()).hexdigest()
    store.put(store.with_key(store.compiled_config_key("2-newer", digest), compiled='{"k": 1}'))
    runtime.reset()
    assert runtime.config().language == "en"
    assert len(validations) == 3
    runtime.reset()
    runtime.config()
    assert len(validations) == 3  # rewritten: read compiled again


def test_a_table_that_fails_only_costs_a_validation(
    parameter: Any, validations: list[str], aws: Any
) -> None:
    from botocore.exceptions import ClientError

    parameter(_text(language="en"))

    def throttled(**_: Any) -> None:
        error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}
        raise ClientError(error, "BatchGetItem")

    aws.client("dynamodb").meta.events.register("before-call.dynamodb.BatchGetItem", throttled)
    aws.client("dynamodb").meta.events.register("before-call.dynamodb.PutItem", throttled)
    assert runtime.config().language == "en"
    assert len(validations) == 1


def test_a_broken_parameter_is_refused_field_by_field(parameter: Any) -> None:
    data = make_config().model_dump(mode="json")
    data["fetch"]["concurrency"] = 0
    data["sender"] = "not-an-address"
    parameter(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as exc:
        runtime.config()
    assert f"SSM parameter {NAME}" in str(exc.value)
    assert [p.split(":")[0] for p in exc.value.problems] == ["sender", "fetch.concurrency"]
    assert _kept() == []
