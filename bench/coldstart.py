"""Cold start as Lambda lays it out: each handler's whole import path against `import boto3`.

Builds the layer with its own Makefile (wheels for this machine's architecture,
so they load here; Lambda gets arm64), then, with python3.12 and only the layer
and one function directory on the path, times in fresh interpreters:
- the handler's module-level imports (`import app`);
- its whole cold path: those, every module the handler imports inside its
  functions (all branches: an upper bound for multi-job functions), and boto3;
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


def lazy_imports(app: Path) -> list[str]:
    """Every module ``app.py`` imports, at module level or inside its functions."""
    found: list[str] = []
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [
                f"{node.module}.{a.name}" if _is_module(node.module, a.name) else node.module
                for a in node.names
            ]
    return sorted(set(found) - {"__future__"})


def _is_module(package: str, name: str) -> bool:
    base = ROOT / "layers" / "portevoix" / Path(*package.split("."))
    return (base / f"{name}.py").exists() or (base / name / "__init__.py").exists()


def timed(path: list[Path], modules: list[str], runs: int, then: str = "") -> float:
    """Seconds to import ``modules`` (and run ``then``) in a fresh python3.12, fastest run."""
    code = (
        "import sys, time; sys.path[:0] = {path!r}; t = time.perf_counter(); "
        "{imports}; {then}; print(time.perf_counter() - t)"
    ).format(
        path=[str(p) for p in path],
        imports="; ".join(f"import {m}" for m in modules),
        then=then or "pass",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
        "PYENV_VERSION": "3.12.1",
        "POWERTOOLS_SERVICE_NAME": "bench",
        "AWS_DEFAULT_REGION": "eu-west-3",
    }
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [PYTHON, "-S", "-c", code], capture_output=True, text=True, env=env, check=True
        ).stdout
        samples.append(float(out.strip()))
    return min(samples)  # noise only adds: the fastest run is the import itself


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
        boto3 = timed([layer], ["boto3"], runs)
        results["boto3_import_ms"] = round(boto3 * 1000, 1)
        worst = 0.0
        for app in sorted((ROOT / "functions").glob("*/app.py")):
            name = app.parent.name
            function_dir = work / name
            shutil.copytree(app.parent, function_dir, ignore=shutil.ignore_patterns("__pycache__"))
            modules = lazy_imports(app)
            module_level = timed([function_dir, layer], ["app"], runs)
            cold = timed([function_dir, layer], ["app", *modules, "boto3"], runs)
            results[f"{name}_module_ratio"] = round(module_level / boto3, 2)
            results[f"{name}_cold_ratio"] = round(cold / boto3, 2)
            results[f"{name}_cold_ms"] = round(cold * 1000, 1)
            worst = max(worst, cold / boto3)
        results["worst_cold_ratio"] = round(worst, 2)
        # What every first invocation adds after its imports: reading and validating the
        # configuration (the example, as stored: comments dropped).
        example = json.dumps(yaml.safe_load((ROOT / "config" / "example.yaml").read_text()))
        read = timed(
            [layer],
            ["portevoix.core.config"],
            runs,
            then=f"portevoix.core.config.parse_config({example!r})",
        )
        config_import = timed([layer], ["portevoix.core.config"], runs)
        results["config_import_ms"] = round(config_import * 1000, 1)
        results["config_first_read_ms"] = round((read - config_import) * 1000, 1)
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
