"""The real embedded engine: llama.cpp's server on the SmolLM2 GGUF from the installed wheel."""

import pytest

from agents.llm import EngineConfig, make_llm
from config.stack import start_embedded_engine, stop_process

pytestmark = pytest.mark.embedded
PORT = 8008


@pytest.fixture(scope="module")
def embedded():
    process = start_embedded_engine(PORT, timeout_s=180)
    yield make_llm(EngineConfig(engine="embedded", base_url=f"http://127.0.0.1:{PORT}/v1",
                                model="smollm2"))
    if process is not None:
        stop_process(process)


def test_chat_streams_tokens_with_usage(embedded):
    tokens = []
    call = embedded.chat([{"role": "user", "content": "What is 2 + 3? Answer briefly."}],
                         max_tokens=24, temperature=0, on_token=tokens.append)
    assert call.completion and "".join(tokens) == call.completion
    assert len(tokens) > 1
    assert call.usage.prompt_tokens > 0 and 0 < call.usage.completion_tokens <= 24
    assert call.engine == "embedded" and call.latency_s > 0


def test_completion_continues_raw_text_and_stops(embedded):
    call = embedded.complete("Counting: 1, 2, 3,", max_tokens=12, temperature=0, stop=["\n"])
    assert call.kind == "completion" and call.completion and "\n" not in call.completion
