"""The `skills` command line: list, install and uninstall bundled agent skills.

Shared by `python -m scillm.skills` and `scillm skills`; `add_arguments`
fills a parser, `run` executes the parsed command and returns the exit code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scillm.errors import SkillError
from scillm.skills import installer
from scillm.skills.catalog import bundled_skills
from scillm.skills.installer import DEFAULT_TARGET


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the list / install / uninstall subcommands to `parser`."""
    sub = parser.add_subparsers(dest="skills_command", metavar="{list,install,uninstall}")
    sub.required = True

    def target_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--target", type=Path, default=DEFAULT_TARGET,
            help=f"folder the skills live in (default: {DEFAULT_TARGET}/; e.g. .claude/skills)",
        )

    p_list = sub.add_parser("list", help="show bundled skills and whether each is installed at the target")
    target_opt(p_list)
    p_install = sub.add_parser("install", help="copy skills into the target (idempotent)")
    p_install.add_argument("names", nargs="*", metavar="NAME", help="skills to install")
    p_install.add_argument("--all", action="store_true", help="install every bundled skill")
    p_install.add_argument("--force", action="store_true", help="overwrite installed skills you edited")
    target_opt(p_install)
    p_uninstall = sub.add_parser("uninstall", help="remove installed skills from the target")
    p_uninstall.add_argument("names", nargs="+", metavar="NAME", help="skills to remove")
    p_uninstall.add_argument("--force", action="store_true", help="remove even if you edited them")
    target_opt(p_uninstall)


def run(args: argparse.Namespace) -> int:
    """Execute a parsed `skills` command; errors go to stderr with exit code 1."""

    try:
        if args.skills_command == "list":
            target: Path = args.target
            skills = bundled_skills()
            width = max((len(n) for n in skills), default=4)
            print(f"skills target: {target}")
            for name, skill in skills.items():
                state = installer.skill_state(skill, target)
                print(f"{name:<{width}}  {state:<13}  {skill.summary}")
            return 0
        if args.skills_command == "install":
            if bool(args.names) == bool(args.all):
                raise SkillError("name the skills to install, or pass --all (not both)")
            changes = installer.install(None if args.all else args.names, target=args.target, force=args.force)
        else:
            changes = installer.uninstall(args.names, target=args.target, force=args.force)
    except SkillError as exc:
        print(f"scillm skills: error: {exc}", file=sys.stderr)
        return 1
    print(f"skills target: {args.target}")
    for change in changes:
        print(change.describe())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m scillm.skills`."""
    parser = argparse.ArgumentParser(
        prog="python -m scillm.skills", description="Install scillm's agent skills (Agent Skills format)."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


__all__ = ["add_arguments", "main", "run"]
