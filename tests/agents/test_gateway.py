"""The LLM gateway: the scripted engine, tracing of calls, and failures."""

import pytest

from agents.llm import EngineConfig, LLMError, OpenAIEngine, ScriptedEngine, make_llm
from agents.tracing import TracedLLM, Tracer


def test_scripted_engine_streams_tokens_that_join_to_the_reply():
    engine = ScriptedEngine(["What did you do first?"])
    tokens = []
    call = engine.chat([{"role": "user", "content": "hi"}], on_token=tokens.append)
    assert "".join(tokens) == call.completion == "What did you do first?"
    assert len(tokens) == 5
    assert call.usage.completion_tokens == 5 and call.usage.prompt_tokens == 1


def test_scripted_engine_replies_in_turn_then_repeats_the_last():
    engine = ScriptedEngine(["one", "two"])
    replies = [engine.chat([{"role": "user", "content": "x"}]).completion for _ in range(3)]
    assert replies == ["one", "two", "two"]


def test_scripted_engine_honours_stop_and_max_tokens():
    engine = ScriptedEngine(lambda prompt: "a b c </summarize> d e")
    assert engine.complete("p", stop=["</summarize>"]).completion == "a b c "
    call = engine.complete("p", max_tokens=2)
    assert call.completion == "a b" and call.finish_reason == "length"


def test_scripted_failure_raises_llm_error_and_is_traced():
    tracer = Tracer()
    llm = TracedLLM(ScriptedEngine([ScriptedEngine.FAIL]), tracer)
    with pytest.raises(LLMError), tracer.span("respond"):
        llm.chat([{"role": "user", "content": "x"}])
    [call] = tracer.calls
    assert call.error == "scripted engine failure" and tracer.spans[0].error.startswith("LLMError")


def test_traced_calls_attach_to_the_innermost_span():
    tracer = Tracer()
    llm = TracedLLM(ScriptedEngine(["ok"]), tracer)
    with tracer.span("outer"), tracer.span("inner"):
        llm.chat([{"role": "user", "content": "x"}])
    assert [(s.name, s.parent, len(s.calls)) for s in tracer.spans] == [
        ("outer", None, 0), ("inner", 0, 1)]


def test_make_llm_rejects_an_unknown_engine():
    with pytest.raises(ValueError, match="unknown LLM engine 'gpt9'"):
        make_llm(EngineConfig(engine="gpt9"))


def test_unreachable_server_fails_with_a_clear_error_after_retries():
    engine = OpenAIEngine(engine="vllm", base_url="http://127.0.0.1:9/v1", model="m",
                          timeout_s=2, max_retries=1, backoff_s=0.01)
    with pytest.raises(LLMError, match="vllm failed after 2 tries"):
        engine.chat([{"role": "user", "content": "hi"}])
