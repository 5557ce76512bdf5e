"""Engines and checkers never read the environment: their settings are handed in.

`scillm.settings` (through `scillm.config`) is the one reader of scillm's
environment variables; entry points (the LiteLLM adapter, the bridges, the
CLI, the paved helpers) build settings objects and pass them down. Under
`scillm/integrations` no module imports `scillm.config`, touches
`os.environ` / `os.getenv`, or calls a settings reader (`from_env`,
`pool_size`, `bridge_token`, `codeworld_store_from_env`), except the
entry points and process-wide defaults listed in `ALLOWED`, each with why.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scillm"
ENGINES = PACKAGE / "integrations"

# names whose call reads the environment (the settings readers of scillm.settings)
READERS = frozenset({"from_env", "pool_size", "bridge_token", "codeworld_store_from_env"})

# module -> {reader: why it may call it}
ALLOWED: dict[str, dict[str, str]] = {
    "scillm.integrations.certainly": {
        "from_env": "prove_requirement and is_available are the documented direct entry points; "
                    "they build CertainlySettings from the environment when none is passed"},
    "scillm.integrations.certainly.prove_command": {
        "from_env": "`scillm prove` is a command-line entry point"},
    "scillm.integrations.codeworld.api": {
        "from_env": "arun_items and arun_items_iter are codeworld's documented direct entry points; "
                    "they build CodeworldSettings from the environment when none is passed"},
    "scillm.integrations.codeworld.settings": {
        "codeworld_store_from_env": "CodeworldSettings.from_env is the public constructor the entry points "
                                    "call; scillm.settings reads the variables"},
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def env_reads(source: str) -> list[tuple[int, str]]:
    """(line, what) for every environment read in `source`: scillm.config, os.environ/getenv, a reader call."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "scillm.config":
            found.append((node.lineno, "scillm.config"))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [(node.lineno, f"os.{a.name}") for a in node.names if a.name in ("environ", "getenv")]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name == "scillm.config"]
        elif isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                isinstance(node.value, ast.Name) and node.value.id == "os":
            found.append((node.lineno, f"os.{node.attr}"))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in READERS:
                found.append((node.lineno, name))
    return found


def _engine_modules() -> dict[str, Path]:
    return {_module(p): p for p in sorted(ENGINES.rglob("*.py"))}


def test_the_finder_sees_every_kind_of_read() -> None:
    source = ("import os\nfrom os import environ\nfrom scillm.config import env\nimport scillm.config\n"
              "os.environ.get('X')\nos.getenv('X')\nCertainlySettings.from_env()\npool_size()\n")
    assert sorted(env_reads(source)) == [(2, "os.environ"), (3, "scillm.config"), (4, "scillm.config"),
                                         (5, "os.environ"), (6, "os.getenv"), (7, "from_env"), (8, "pool_size")]
    assert env_reads("import os\nos.cpu_count()\nsubprocess.run(['x'], env={})\n") == []


def test_engines_and_checkers_never_read_the_environment() -> None:
    bad = []
    for module, path in _engine_modules().items():
        allowed = ALLOWED.get(module, {})
        bad += [f"{module} line {line}: {what}" for line, what in env_reads(path.read_text("utf-8"))
                if what not in allowed]
    assert bad == [], "engine modules read the environment (hand them settings instead):\n" + "\n".join(bad)


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_every_allowed_read_is_still_there(module: str) -> None:
    path = _engine_modules().get(module)
    assert path is not None, f"{module} is gone; drop it from ALLOWED"
    used = {what for _, what in env_reads(path.read_text("utf-8"))}
    assert set(ALLOWED[module]) <= used, f"{module} no longer reads {set(ALLOWED[module]) - used}; drop it"
