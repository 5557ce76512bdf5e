"""Print pip constraints pinning LiteLLM to the floor that pyproject.toml declares (`litellm>=X` -> `litellm==X`)."""

import re
import sys
import tomllib
from pathlib import Path

deps = tomllib.loads(Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text())["project"]
for spec in deps["dependencies"]:
    match = re.fullmatch(r"litellm\s*>=\s*([0-9][0-9.]*)", spec.split(";")[0].strip())
    if match:
        print(f"litellm=={match.group(1)}")
        sys.exit(0)
sys.exit("pyproject.toml declares no `litellm>=X` floor")
