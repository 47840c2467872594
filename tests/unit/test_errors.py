"""The workflow's Retry/Catch names and the exceptions the publish tasks raise agree."""

from __future__ import annotations

import ast
import inspect
import json
import re

from portevoix.core import errors
from tests.helpers import ROOT

ASL = ROOT / "infra" / "statemachines" / "publish.asl.json"
PACKAGE = ROOT / "layers" / "portevoix" / "portevoix"


def _error_names(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "ErrorEquals":
                found.update(value)
            else:
                found |= _error_names(value)
    elif isinstance(node, list):
        for value in node:
            found |= _error_names(value)
    return found


def _raised_names() -> set[str]:
    """Every exception class name raised (``raise Name(...)``) in the package."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def test_every_error_the_workflow_matches_is_one_the_tasks_raise() -> None:
    ours = {
        n
        for n in _error_names(json.loads(re.sub(r"\$\{\w+\}", "0", ASL.read_text())))
        if not n.startswith(("States.", "Lambda."))
    }
    assert ours, "the workflow retries none of our errors: was the ASL file moved?"
    raised = _raised_names()
    for name in sorted(ours):
        cls = getattr(errors, name, None)
        assert inspect.isclass(cls) and issubclass(cls, errors.PortevoixError), (
            f"{name} is matched in publish.asl.json but is not an exception of core/errors.py"
        )
        family = {c.__name__ for c in [cls, *_subclasses(cls)]}
        assert family & raised, f"nothing in the package raises {name} (or a subclass of it)"


def test_one_exception_hierarchy_in_one_module() -> None:
    defined = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                getattr(b, "id", "").endswith(("Error", "Exception")) for b in node.bases
            ):
                defined.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert all(d.startswith("core/errors.py:") for d in defined), defined


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out
