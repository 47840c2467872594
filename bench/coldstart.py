"""Cold start as Lambda lays it out: each handler's whole import path against `import boto3`.

Builds the layer with its own Makefile (wheels for this machine's architecture,
so they load here; Lambda gets arm64), then, with python3.12 and only the layer
and one function directory on the path, times in fresh interpreters:
- the handler's module-level imports (`import app`);
- its whole cold path: those, every module the handler imports inside its
  functions (for a handler with ``JOBS``, per job: the worst is reported), boto3,
  and reading the configuration as a function does (its compiled form; the
  BatchGetItem that fetches it is not counted);
- `import boto3` from the same layer.
Also prints the layer's size by package. Target (issue 15): cold path <= 1.2 x boto3.
"""

from __future__ import annotations

import ast
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import yaml  # noqa: E402

from bench.common import arguments, compare  # noqa: E402

PYTHON = "python3.12"
TARGET_RATIO = 1.2


def build_layer(dest: Path) -> Path:
    arch = "aarch64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(ROOT / "layers" / "portevoix"),
            "build-PortevoixLayer",
            f"ARTIFACTS_DIR={dest}",
            f"PLATFORM=manylinux2014_{arch}",
            f"PYTHON={sys.executable}",
        ],
        check=True,
        env={**os.environ, "PYENV_VERSION": os.environ.get("PYENV_VERSION", "3.12.1:3.11.7")},
        stdout=subprocess.DEVNULL,
    )
    return dest / "python"


def _imports(node: ast.AST) -> set[str]:
    found: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Import):
            found.update(a.name for a in child.names)
        elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
            found.update(
                f"{child.module}.{a.name}" if _is_module(child.module, a.name) else child.module
                for a in child.names
            )
    return found - {"__future__"}


def lazy_imports(app: Path) -> list[str]:
    """Every module ``app.py`` imports, at module level or inside its functions."""
    return sorted(_imports(ast.parse(app.read_text(encoding="utf-8"))))


def job_imports(app: Path) -> dict[str, list[str]]:
    """The modules a first invocation of each job imports ("": a handler with one job).

    A handler whose module maps job names to functions (``JOBS = {"digest": _digest}``)
    runs one of them per invocation: its module-level imports, the handler's and the
    job function's (with the module's functions they call). Otherwise every import
    in the module counts (an upper bound).
    """
    tree = ast.parse(app.read_text(encoding="utf-8"))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    top = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            top |= _imports(node)
    jobs: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "JOBS" for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Name):
                    jobs[str(key.value)] = value.id

    def closure(name: str, seen: set[str]) -> set[str]:
        if name in seen or name not in functions:
            return set()
        seen.add(name)
        found = _imports(functions[name])
        for child in ast.walk(functions[name]):
            if isinstance(child, ast.Name) and child.id in functions:
                found |= closure(child.id, seen)
        return found

    if not jobs:
        return {"": lazy_imports(app)}
    handler = closure("lambda_handler", set())
    return {job: sorted(top | handler | closure(fn, set())) for job, fn in jobs.items()}


def _is_module(package: str, name: str) -> bool:
    base = ROOT / "layers" / "portevoix" / Path(*package.split("."))
    return (base / f"{name}.py").exists() or (base / name / "__init__.py").exists()


Spec = tuple[list[Path], list[str], str]  # sys.path, modules to import, code to run then


def timed(path: list[Path], modules: list[str], runs: int, then: str = "") -> float:
    """Seconds to import ``modules`` (and run ``then``) in a fresh python3.12, fastest run."""
    return timed_together([(path, modules, then)], runs)[0]


def timed_together(specs: list[Spec], runs: int) -> list[float]:
    """``timed`` for each spec, their runs interleaved: a machine that slows down for a
    while slows them all, so their ratios hold."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
        "PYENV_VERSION": "3.12.1",
        "POWERTOOLS_SERVICE_NAME": "bench",
        "AWS_DEFAULT_REGION": "eu-west-3",
    }
    codes = [
        (
            "import sys, time; sys.path[:0] = {path!r}; t = time.perf_counter(); "
            "{imports}; {then}; print(time.perf_counter() - t)"
        ).format(
            path=[str(p) for p in path],
            imports="; ".join(f"import {m}" for m in modules),
            then=then or "pass",
        )
        for path, modules, then in specs
    ]
    samples: list[list[float]] = [[] for _ in specs]
    for _ in range(runs):
        for code, found in zip(codes, samples, strict=True):
            out = subprocess.run(
                [PYTHON, "-S", "-c", code], capture_output=True, text=True, env=env, check=True
            ).stdout
            found.append(float(out.strip()))
    return [min(found) for found in samples]  # noise only adds: the fastest run is the import


def sizes(layer: Path) -> dict[str, float]:
    out = {}
    for top in layer.iterdir():
        if top.is_dir() and not top.name.endswith(".dist-info"):
            out[top.name] = sum(f.stat().st_size for f in top.rglob("*") if f.is_file())
    return {k: round(v / 1e6, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


def run(runs: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="pv-coldstart-"))
    try:
        layer = build_layer(work / "layer")
        results: dict[str, Any] = {}
        sys.path.insert(0, str(ROOT / "layers" / "portevoix"))
        from portevoix.core.config import compile_config, load_config

        form = compile_config(load_config(ROOT / "config" / "example.yaml"))
        read_compiled = f"from portevoix.core import compiled; compiled.load({form!r})"
        worst, fastest_boto3 = 0.0, float("inf")
        for app in sorted((ROOT / "functions").glob("*/app.py")):
            name = app.parent.name
            function_dir = work / name
            shutil.copytree(app.parent, function_dir, ignore=shutil.ignore_patterns("__pycache__"))
            path = [function_dir, layer]
            jobs = job_imports(app)
            # boto3 first and last in each round: one slow spell cannot set the reference
            first, module_level, *colds, last = timed_together(
                [
                    ([layer], ["boto3"], ""),
                    (path, ["app"], ""),
                    *[
                        (path, ["app", *modules, "boto3"], read_compiled)
                        for modules in jobs.values()
                    ],
                    ([layer], ["boto3"], ""),
                ],
                runs,
            )
            boto3 = min(first, last)
            fastest_boto3 = min(fastest_boto3, boto3)
            results[f"{name}_module_ratio"] = round(module_level / boto3, 2)
            for job, cold in zip(jobs, colds, strict=True):
                if job:
                    results[f"{name}.{job}_cold_ratio"] = round(cold / boto3, 2)
            cold = max(colds)
            results[f"{name}_cold_ratio"] = round(cold / boto3, 2)
            results[f"{name}_cold_ms"] = round(cold * 1000, 1)
            worst = max(worst, cold / boto3)
        results = {"boto3_import_ms": round(fastest_boto3 * 1000, 1), **results}
        # The stack's own floor for a function that logs and calls HTTP APIs: what no
        # change of ours can go under (Powertools' Logger and Metrics, requests, boto3).
        first, floor, last = timed_together(
            [
                ([layer], ["boto3"], ""),
                ([layer], ["aws_lambda_powertools", "requests", "boto3"], ""),
                ([layer], ["boto3"], ""),
            ],
            runs,
        )
        results["http_floor_ratio"] = round(floor / min(first, last), 2)
        results["worst_cold_ratio"] = round(worst, 2)
        # What every first invocation adds after its imports: reading and validating the
        # configuration (the example, as stored: comments dropped).
        example = json.dumps(yaml.safe_load((ROOT / "config" / "example.yaml").read_text()))
        config_import, read, compiled_import, compiled_read = timed_together(
            [
                ([layer], ["portevoix.core.config"], ""),
                (
                    [layer],
                    ["portevoix.core.config"],
                    f"portevoix.core.config.parse_config({example!r})",
                ),
                # What a function does instead (core/compiled.py): no pydantic, no validation.
                ([layer], ["portevoix.core.compiled"], ""),
                ([layer], ["portevoix.core.compiled"], read_compiled),
            ],
            runs,
        )
        results["config_import_ms"] = round(config_import * 1000, 1)
        results["config_first_read_ms"] = round((read - config_import) * 1000, 1)
        results["compiled_import_ms"] = round(compiled_import * 1000, 1)
        results["compiled_read_ms"] = round((compiled_read - compiled_import) * 1000, 1)
        total = sizes(layer)
        results["layer_mb"] = round(sum(total.values()), 1)
        for package, mb in list(total.items())[:8]:
            results[f"layer_{package}_mb"] = mb
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    args = arguments(__doc__, ("--runs", {"type": int, "default": 7}))
    results = run(args.runs)
    return compare(
        results, {"worst_cold_ratio": ("<=", TARGET_RATIO)}, "baseline-coldstart.json", args.save
    )


if __name__ == "__main__":
    sys.exit(main())
