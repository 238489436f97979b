"""Structured replies: the schema reaches the engine, and the reply is validated with a typed model."""

from pydantic import BaseModel

from agents.llm import ScriptedEngine
from agents.llm.structured import chat_json, parse_json_object


class Verdict(BaseModel):
    valid: bool
    guidance: str


def test_chat_json_sends_the_schema_and_validates_the_reply():
    llm = ScriptedEngine(['Sure: {"valid": true, "guidance": "Check step 2."}'])
    reply = chat_json(llm, [{"role": "user", "content": "Check this."}], Verdict)
    assert reply.value == Verdict(valid=True, guidance="Check step 2.")
    assert llm.calls[0].params["json_schema"] == Verdict.model_json_schema()


def test_chat_json_reports_a_reply_that_does_not_fit_the_schema():
    reply = chat_json(ScriptedEngine(['{"valid": "perhaps"}']), [{"role": "user", "content": "?"}],
                      Verdict)
    assert reply.value is None
    assert reply.error.startswith("valid:")


def test_chat_json_reports_prose_without_json():
    reply = chat_json(ScriptedEngine(["I think it is fine."]), [{"role": "user", "content": "?"}],
                      Verdict)
    assert (reply.value, reply.error) == (None, "no JSON object in the reply")


def test_parse_json_object_skips_arrays_and_broken_braces():
    assert parse_json_object('[1, 2] {oops {"a": 1}') == {"a": 1}


def test_openai_engine_puts_non_openai_sampling_in_the_body():
    from agents.llm import OpenAIEngine

    engine = OpenAIEngine(engine="vllm", base_url="http://127.0.0.1:1/v1", model="m")
    args, body = engine._split({"max_tokens": 8, "temperature": 0.0, "stop": [], "top_p": 0.9,
                                "top_k": 20, "min_p": 0.05})
    assert args == {"max_tokens": 8, "temperature": 0.0, "top_p": 0.9}
    assert body == {"top_k": 20, "min_p": 0.05}
    assert engine._response_format({"type": "object"})["type"] == "json_schema"
    embedded = OpenAIEngine(engine="embedded", base_url="http://127.0.0.1:1/v1", model="m")
    assert embedded._response_format({"type": "object"}) == {"type": "json_object",
                                                             "schema": {"type": "object"}}
