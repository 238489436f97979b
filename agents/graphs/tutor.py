"""The tutor graph: one tutoring turn, `assess → respond`."""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import END, START, StateGraph

from agents.llm import LLM, ChatMessage, TokenSink
from agents.math import answers_match, extract_answer
from agents.tracing import TracedLLM, Tracer

TUTOR_SYSTEM_PROMPT = """You are a patient maths tutor talking with a student.
Problem: {problem}
Never state the final answer. Ask one short question that helps the student find their
own mistake, or confirm their reasoning when they are right. Keep replies under 60 words.
{assessment}"""


class TutorState(TypedDict, total=False):
    problem: str
    gold_answer: str
    dialogue: list[ChatMessage]
    student_message: str
    student_answer: str | None
    student_correct: bool
    reply: str


def assess(state: TutorState) -> TutorState:
    """Check the student's latest answer against the gold answer with the maths checker."""
    answer = extract_answer(state["student_message"])
    return {"student_answer": answer,
            "student_correct": answer is not None and answers_match(answer, state["gold_answer"])}


def assessment_line(state: TutorState) -> str:
    if state.get("student_correct"):
        return "The student's latest answer is correct: confirm it and ask them to explain why."
    if state.get("student_answer") is None:
        return "The student has not stated an answer yet."
    return f"The student's answer {state['student_answer']} is not correct."


def build_tutor_graph(llm: LLM, *, tracer: Tracer, on_token: TokenSink | None = None,
                      max_tokens: int = 160):
    """Wire `assess → respond`; every node is a traced span, every LLM call recorded."""
    traced = TracedLLM(llm, tracer)

    def assess_node(state: TutorState) -> TutorState:
        with tracer.span("assess") as span:
            update = assess(state)
            span.attributes.update(update)
            return update

    def respond_node(state: TutorState) -> TutorState:
        with tracer.span("respond"):
            system = TUTOR_SYSTEM_PROMPT.format(problem=state["problem"],
                                                assessment=assessment_line(state))
            messages: list[ChatMessage] = [
                {"role": "system", "content": system}, *state.get("dialogue", []),
                {"role": "user", "content": state["student_message"]},
            ]
            call = traced.chat(messages, max_tokens=max_tokens, temperature=0.7,
                               on_token=on_token)
            return {"reply": call.completion.strip()}

    graph = StateGraph(TutorState)
    graph.add_node("assess", assess_node)
    graph.add_node("respond", respond_node)
    graph.add_edge(START, "assess")
    graph.add_edge("assess", "respond")
    graph.add_edge("respond", END)
    return graph.compile()


def run_tutor_turn(llm: LLM, state: TutorState, *, tracer: Tracer,
                   on_token: TokenSink | None = None, max_tokens: int = 160) -> TutorState:
    """Run one turn of the tutor graph and return its final state."""
    graph = build_tutor_graph(llm, tracer=tracer, on_token=on_token, max_tokens=max_tokens)
    with tracer.span("tutor_turn"):
        return graph.invoke(state)
