"""compose.yaml cannot run here: read it and check it against the settings it feeds."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_SOURCE = (ROOT / "config" / "settings.py").read_text()
SETTINGS_ENV = set(re.findall(r'env(?:_bool)?\("([A-Z_]+)"', SETTINGS_SOURCE))


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_has_every_service_the_stack_needs():
    assert {"postgres", "redis", "vllm", "web", "worker", "gpu-worker"} <= set(compose()["services"])


def test_workers_listen_on_the_queues_the_settings_route_to():
    services = compose()["services"]
    assert "default,llm" in services["worker"]["command"]
    assert "gpu" in services["gpu-worker"]["command"]


def test_every_app_variable_is_one_the_settings_read():
    env = compose()["services"]["web"]["environment"]
    assert set(env) <= SETTINGS_ENV, set(env) - SETTINGS_ENV
    assert {"DATABASE_URL", "REDIS_URL", "LLM_ENGINE", "LLM_BASE_URL", "LLM_MODEL"} <= set(env)


def test_the_app_talks_to_vllm_and_vllm_serves_the_same_model():
    services = compose()["services"]
    env = services["web"]["environment"]
    assert env["LLM_ENGINE"] == "vllm" and env["LLM_BASE_URL"].startswith("http://vllm:")
    assert env["LLM_MODEL"] in services["vllm"]["command"]
    assert services["vllm"]["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    assert not [name for name in SETTINGS_ENV if name not in readme]
