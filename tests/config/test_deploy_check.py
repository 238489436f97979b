"""The production settings compose.yaml runs with pass `manage.py check --deploy` clean."""

import os
import re
import secrets
import subprocess
import sys

from tests.config.test_compose import ROOT, compose

VAR = re.compile(r"\$\{(\w+)(?::[-?]([^}]*))?\}")


def web_environment() -> dict[str, str]:
    """The web service's environment as compose would resolve it, with a generated secret."""
    given = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}

    def resolve(match: re.Match) -> str:
        return given.get(match[1], match[2] or "")

    return {name: VAR.sub(resolve, str(value))
            for name, value in compose()["services"]["web"]["environment"].items()}


def test_compose_settings_pass_the_deploy_check_without_warnings():
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LLM_"))},
           **web_environment(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    # compose's hosts (postgres, redis) do not resolve here; some checks open the database
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert env["DJANGO_DEBUG"] == "false"
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy",
                             "--fail-level", "WARNING"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
