"""The `scillm` command line: one subcommand per module, loaded only when it runs.

Each entry in `COMMANDS` names a module exposing `add_arguments(parser)` and
`run(args) -> int`; adding a subcommand (`bridge`, `doctor`, ...) is one line
here plus its own module. Subcommand modules import engines inside `run`,
so `scillm --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import scillm
from scillm.completion_protocol import using_completion
from scillm.llms.completion import litellm_completion

# subcommand -> (module with add_arguments/run, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "prove": ("scillm.integrations.certainly.prove_command",
              "prove theorems with a real proof checker (no input: the bundled examples)"),
    "skills": ("scillm.skills.commands", "list, install or uninstall bundled agent skills"),
    "bridge": ("scillm.bridges.serve", "serve the certainly or codeworld engine over HTTP"),
    "doctor": ("scillm.doctor", "check provers, sandbox, bridges, LiteLLM and LLM keys; --strict for CI"),
    "batch": ("scillm.batch_cli", "run a JSONL or messages_list batch of chat requests to JSONL, resumable"),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""

    parser = argparse.ArgumentParser(prog="scillm", description="LiteLLM with scientific providers.")
    parser.add_argument("--version", action="version", version=f"scillm {scillm.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    sub.required = True
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        child = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(child)
        child.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `scillm` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with using_completion(litellm_completion):  # the engines' LLM call; LiteLLM loads on the first prompt
        code = args._module.run(args)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
