"""A MathDial-style simulated student: a persona holding on to an incorrect solution.

Two students: upstream's (eth-nlped/mathdial b452be4 `interactivetutoring/students.py`: its
completion prompt at temperature 0 and 512 tokens, used by the `mathdial` protocol) and ours
below (a chat student, used by the `tutorgraph` protocol).

As in MathDial (Macina et al., 2023), the student is seeded with the problem, an incorrect
solution and a persona (`student_profile`); it believes its solution is right and changes it
only when the tutor's questions lead it there. Its opening turn is its solution as written;
the dialogue stops when it states the right final answer (the metric's own reading) or after
a turn limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agents.llm import LLM, ChatMessage
from agents.math.values import bearing
from agents.tracing import TracedLLM, Tracer

UPSTREAM_STUDENT_PROMPT = """
Student Persona: (STUDENT PERSONA)

Math problem: (MATH PROBLEM)

Student solution: (STUDENT SOLUTION)

Context: (STUDENT NAME) thinks their answer is correct. Only when the teacher provides several good \
reasoning questions, (STUDENT NAME) understands the problem and corrects the solution. (STUDENT NAME) \
can use calculator and thus makes no calculation errors. Send <EOM> tag at end of the student message.

(DIALOG HISTORY)

Student:
"""
UPSTREAM_TOKENS = 512
STUDENT_SYSTEM_PROMPT = """You are a student talking to your maths teacher. {profile}
Problem: {problem}
Your solution: {solution}
You believe your solution is right. Change it only when the teacher's questions show you
a mistake; then say the new step and result. Answer in one or two short sentences."""


@dataclass(frozen=True)
class StudentSeed:
    """The MathDial fields that seed a simulated student."""

    problem: str
    incorrect_solution: str
    profile: str
    gold_answer: str


class StudentState(TypedDict, total=False):
    dialogue: list[ChatMessage]  # from the student's side: tutor = user, student = assistant
    reply: str
    solved: bool


def opening_turn(seed: StudentSeed) -> str:
    """The student's turn 0: its incorrect solution, verbatim."""
    return seed.incorrect_solution.strip()


@dataclass(frozen=True)
class StudentDeps:
    """What the student graph's nodes need, passed as the run's context."""

    llm: TracedLLM
    seed: StudentSeed
    tracer: Tracer
    max_tokens: int = 60
    temperature: float = 0.4

    @property
    def system(self) -> str:
        return STUDENT_SYSTEM_PROMPT.format(profile=self.seed.profile, problem=self.seed.problem,
                                            solution=self.seed.incorrect_solution.strip())


def reply(state: StudentState, runtime: Runtime[StudentDeps]) -> StudentState:
    """The student's next message, in persona."""
    deps = runtime.context
    with deps.tracer.span("student_reply"):
        call = deps.llm.chat([{"role": "system", "content": deps.system}, *state["dialogue"]],
                             max_tokens=deps.max_tokens, temperature=deps.temperature)
        return {"reply": call.completion.strip()}


def check(state: StudentState, runtime: Runtime[StudentDeps]) -> StudentState:
    """Whether the reply states the right final answer (the metric's own reading)."""
    with runtime.context.tracer.span("student_check") as span:
        solved = bearing(state["reply"], runtime.context.seed.gold_answer)
        span.attributes["solved"] = solved
        return {"solved": solved}


def build_student_graph():
    """One student turn: `reply` (an LLM call in persona) → `check`; run with `context=StudentDeps`."""
    graph = StateGraph(StudentState, context_schema=StudentDeps)
    graph.add_node("reply", reply)
    graph.add_node("check", check)
    graph.add_edge(START, "reply")
    graph.add_edge("reply", "check")
    graph.add_edge("check", END)
    return graph.compile()


@cache
def student_graph():
    """The student graph, compiled once per process."""
    return build_student_graph()


def student_turn(llm: LLM, seed: StudentSeed, dialogue: list[ChatMessage], *, tracer: Tracer,
                 max_tokens: int = 60) -> StudentState:
    """The student's next reply to a dialogue seen from its side."""
    deps = StudentDeps(TracedLLM(llm, tracer), seed, tracer, max_tokens)
    with tracer.span("student_turn"):
        return student_graph().invoke({"dialogue": dialogue}, context=deps)


def upstream_text(text: str) -> str:
    """Upstream's `Message` keeps a turn's newlines as a literal backslash-n."""
    return text.replace("\n", "\\n")


def upstream_student_prompt(seed: StudentSeed, name: str, turns: Sequence[dict]) -> str:
    """Upstream's student prompt: persona, problem, wrong solution, context, the dialogue so far."""
    history = "<EOM>\n\n".join(f"{t['speaker'].capitalize()}: {upstream_text(t['text'])}"
                                for t in turns)
    return (UPSTREAM_STUDENT_PROMPT.replace("(STUDENT PERSONA)", seed.profile)
            .replace("(STUDENT SOLUTION)", seed.incorrect_solution)
            .replace("(MATH PROBLEM)", seed.problem)
            .replace("(STUDENT NAME)", name).replace("(DIALOG HISTORY)", history))


def upstream_student_reply(llm: LLM, seed: StudentSeed, name: str, turns: Sequence[dict], *,
                           tracer: Tracer) -> str:
    """One upstream student turn: a completion at temperature 0, 512 tokens, stop at Teacher:."""
    with tracer.span("mathdial_student"):
        call = TracedLLM(llm, tracer).complete(
            upstream_student_prompt(seed, name, turns), max_tokens=UPSTREAM_TOKENS,
            temperature=0.0, stop=["Teacher:", "teacher:"])
    text = call.completion.strip()
    return (text.replace("Student:", "").replace(name + ":", "")
            .replace("<EOM>", "").strip("\n").strip())
