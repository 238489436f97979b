"""The tutor graph: one tutoring turn, `assess → detect → choose_move → respond → guard`.

State that outlives a turn (each student turn's answer and the move that followed) lives in
``history``, keyed by the student turn's index, so the graph can be checkpointed (Postgres in
the app, memory in evaluations) and a rerun of the same turn after a worker restart overwrites
its own entry instead of appending a duplicate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, TypedDict

import sympy
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agents.graphs.detection import MisconceptionDetector, NoDetector
from agents.graphs.guard import (
    SAFE_PROBING_QUESTION,
    Protected,
    SentenceHoldback,
    find_leaks,
    protected_values,
    solution_steps,
)
from agents.graphs.moves import (
    DEFAULT_TELLING_BUDGET_TURN,
    MoveContext,
    choose_move,
    telling_allowed,
)
from agents.llm import LLM, ChatMessage, TokenSink
from agents.math import answers_match, extract_answer
from agents.tracing import TracedLLM, Tracer

TUTOR_SYSTEM_PROMPT = """You are a patient maths tutor talking with a student.
Problem: {problem}
{assessment}
{instruction}
Reply in one or two short sentences.{no_telling}"""

NO_TELLING = " Never state the final answer or any result the student has not found."
REGENERATE_NOTE = ("Your previous reply gave away a result the student must find themselves. "
                   "Ask one question instead, without stating any computed number.")

MOVE_INSTRUCTIONS = {
    "focus": "Point the student to this step of their work and ask one question about it: "
             "\"{first_error}\"",
    "probing": "Ask the student one question that makes them explain why they did what they "
               "did.",
    "telling": "Tell the student the correct step \"{expected_step}\", then ask them to finish.",
    "generic": "The student's answer is right. Praise them in one sentence and ask them to "
               "explain why it works.",
}


def merge_history(old: dict | None, new: dict | None) -> dict:
    """Reducer: entries of later writes replace earlier ones with the same key."""
    return {**(old or {}), **(new or {})}


class TutorState(TypedDict, total=False):
    problem: str
    scaffolding: str
    gold_answer: str
    gold_solution: str
    dialogue: list[ChatMessage]  # earlier turns: student = user, tutor = assistant
    student_message: str
    telling_budget_turn: int
    student_turn: int
    student_answer: str | None
    student_correct: bool
    first_error: str | None
    expected_step: str | None
    detections: list[dict]
    move: str
    reply: str
    guard: list[dict]
    history: Annotated[dict, merge_history]


_EQUATION = re.compile(r"(?P<lhs>\d[\d.,\s+\-*/x×÷()]*?)\s*=\s*\$?(?P<rhs>-?\d+(?:,\d{3})*(?:\.\d+)?)")
_SENTENCE_END = re.compile(r"\.(?=\s|$)|\n")


def miscalculated(lhs: str, rhs: str) -> bool:
    """Whether a plain arithmetic step like `9 x 2 = 16` is wrong; False when it is not plain."""
    expression = lhs.replace(",", "").replace("x", "*").replace("×", "*").replace("÷", "/")
    if not re.fullmatch(r"[\d.\s+\-*/()]+", expression) or not re.search(r"[+\-*/]", expression):
        return False
    try:
        value = sympy.sympify(expression)
    except (sympy.SympifyError, SyntaxError, TypeError, ZeroDivisionError):
        return False
    return value.is_number and abs(float(value) - float(rhs.replace(",", ""))) > 1e-6


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence (or line) of `text` that holds the span start..end."""
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return text[before[-1] if before else 0:after.start() if after else len(text)].strip()


def first_wrong_step(student_work: str, gold_solution: str) -> tuple[str | None, str | None]:
    """(The student's first computation that is miscalculated or whose result the gold solution
    never reaches, the gold step the student has not reached yet); either is None when none."""
    gold_lines = [line.strip() for line in gold_solution.splitlines() if "=" in line]
    gold_values = solution_steps(gold_solution)
    student_values: list[float] = []
    wrong = None
    for match in _EQUATION.finditer(student_work):
        result = float(match.group("rhs").replace(",", ""))
        student_values.append(result)
        off_path = not any(abs(result - g) < 1e-6 for g in gold_values)
        if wrong is None and (off_path or miscalculated(match.group("lhs"), match.group("rhs"))):
            wrong = _sentence_around(student_work, match.start(), match.end())
    expected = next((line for line in gold_lines
                     if not any(abs(v - s) < 1e-6 for v in solution_steps(line)
                                for s in student_values)), None)
    return wrong, expected


def assess(state: TutorState) -> TutorState:
    """Check the latest answer with the maths checker and locate the first wrong step."""
    answer = extract_answer(state["student_message"])
    correct = answer is not None and answers_match(answer, state["gold_answer"])
    student_turn = sum(1 for m in state.get("dialogue", []) if m["role"] == "user")
    work = state["student_message"]
    if "=" not in work:  # no computation in this message: look at the latest that had one
        work = next((m["content"] for m in reversed(state.get("dialogue", []))
                     if m["role"] == "user" and "=" in m["content"]), work)
    wrong, expected = first_wrong_step(work, state.get("gold_solution", ""))
    return {"student_answer": answer, "student_correct": correct, "student_turn": student_turn,
            "first_error": None if correct else wrong, "expected_step": expected}


def turns_without_progress(history: dict, student_turn: int, answer: str | None) -> int:
    """How many student turns in a row (this one included) gave the same wrong answer."""
    count = 1
    for turn in range(student_turn - 1, -1, -1):
        earlier = history.get(str(turn))
        if earlier is None or earlier.get("answer") != answer:
            break
        count += 1
    return count


def move_context(state: TutorState) -> MoveContext:
    """The policy's view of the state."""
    history = state.get("history") or {}
    turn = state["student_turn"]
    return MoveContext(
        student_turn=turn, student_correct=bool(state.get("student_correct")),
        has_error_location=bool(state.get("first_error")),
        has_misconception=bool(state.get("detections")),
        previous_moves=[history[str(t)]["move"] for t in range(turn) if str(t) in history],
        turns_without_progress=turns_without_progress(history, turn, state.get("student_answer")),
        telling_budget_turn=state.get("telling_budget_turn", DEFAULT_TELLING_BUDGET_TURN))


def assessment_line(state: TutorState) -> str:
    if state.get("student_correct"):
        return "The student's latest answer is correct."
    lines = []
    if state.get("student_answer") is None:
        lines.append("The student has not stated an answer yet.")
    else:
        lines.append(f"The student's answer {state['student_answer']} is not correct.")
    if state.get("detections"):
        top = state["detections"][0]
        lines.append(f"They may have this misconception: {top['name']} ({top['description']}).")
    return " ".join(lines)


def tutor_messages(state: TutorState, move: str, *, note: str = "") -> list[ChatMessage]:
    """The respond node's prompt for a move."""
    allowed = telling_allowed(state["student_turn"], state.get("telling_budget_turn",
                                                               DEFAULT_TELLING_BUDGET_TURN))
    instruction = MOVE_INSTRUCTIONS[move]
    if move == "focus" and not state.get("first_error"):
        instruction = "Ask the student which quantity they need to find first."
    if move == "telling" and not state.get("expected_step"):
        instruction = "Explain the step the student got wrong, then ask them to finish."
    instruction = instruction.format(first_error=state.get("first_error") or "",
                                     expected_step=state.get("expected_step") or "")
    system = TUTOR_SYSTEM_PROMPT.format(
        problem=state["problem"], assessment=assessment_line(state), instruction=instruction,
        no_telling="" if allowed else NO_TELLING)
    if state.get("scaffolding"):
        system += "\nHow much to scaffold this learner: " + state["scaffolding"]
    if note:
        system += "\n" + note
    return [{"role": "system", "content": system}, *state.get("dialogue", []),
            {"role": "user", "content": state["student_message"]}]


@dataclass
class TurnContext:
    """What a turn's nodes need beside the state; given per call, so the graph compiles once.

    Tokens reach `on_token` only after the guard's rule has passed them (sentence holdback);
    when the guard replaces a reply it calls `on_reset` and then streams the safe text.
    """

    llm: TracedLLM
    tracer: Tracer
    detector: MisconceptionDetector
    on_token: TokenSink | None = None
    on_reset: Callable[[], None] | None = None
    max_tokens: int = 160


def guarded(state: TutorState) -> bool:
    """Whether the telling budget still forbids giving results away on this turn."""
    return not telling_allowed(state["student_turn"], state.get(
        "telling_budget_turn", DEFAULT_TELLING_BUDGET_TURN))


def protected_for(state: TutorState) -> Protected:
    """The values the guard must not let through on this turn."""
    students = [m["content"] for m in state.get("dialogue", []) if m["role"] == "user"]
    return protected_values(gold_answer=state["gold_answer"],
                            solution=state.get("gold_solution", ""), problem=state["problem"],
                            student_texts=[*students, state["student_message"]])


def assess_node(state: TutorState, runtime: Runtime[TurnContext]) -> TutorState:
    with runtime.context.tracer.span("assess") as span:
        update = assess(state)
        span.attributes.update(update)
        return update


def detect_node(state: TutorState, runtime: Runtime[TurnContext]) -> TutorState:
    ctx = runtime.context
    with ctx.tracer.span("detect", detector=type(ctx.detector).__name__) as span:
        if state.get("student_correct"):
            found = []
        else:
            work = "\n".join([m["content"] for m in state.get("dialogue", [])
                              if m["role"] == "user"] + [state["student_message"]])
            found = [d.to_dict() for d in ctx.detector.detect(
                state["problem"], state.get("gold_solution", ""), work, tracer=ctx.tracer)]
        span.attributes["detections"] = found
        return {"detections": found}


def choose_move_node(state: TutorState, runtime: Runtime[TurnContext]) -> TutorState:
    with runtime.context.tracer.span("choose_move") as span:
        ctx = move_context(state)
        move = choose_move(ctx)
        span.attributes.update(move=move, student_turn=ctx.student_turn,
                               previous_moves=list(ctx.previous_moves),
                               turns_without_progress=ctx.turns_without_progress,
                               telling_allowed=telling_allowed(ctx.student_turn,
                                                               ctx.telling_budget_turn))
        return {"move": move}


def respond_node(state: TutorState, runtime: Runtime[TurnContext]) -> TutorState:
    ctx = runtime.context
    with ctx.tracer.span("respond", move=state["move"]):
        hold = None
        if guarded(state):
            protected = protected_for(state)
            hold = SentenceHoldback(ctx.on_token, lambda text: not find_leaks(text, protected))
        call = ctx.llm.chat(tutor_messages(state, state["move"]), max_tokens=ctx.max_tokens,
                            temperature=0.7, on_token=hold.feed if hold else ctx.on_token)
        if hold:
            hold.close()
        return {"reply": call.completion.strip()}


def guard_node(state: TutorState, runtime: Runtime[TurnContext]) -> TutorState:
    ctx = runtime.context
    with ctx.tracer.span("guard") as span:
        reply, move, interventions = state["reply"], state["move"], []
        if guarded(state):
            protected = protected_for(state)
            leaks = find_leaks(reply, protected)
            if leaks:
                interventions.append({"action": "regenerate", "original": reply, "move": move,
                                      "leaks": [leak.to_dict() for leak in leaks]})
                call = ctx.llm.chat(tutor_messages(state, move, note=REGENERATE_NOTE),
                                    max_tokens=ctx.max_tokens, temperature=0.7)
                reply = call.completion.strip()
                leaks = find_leaks(reply, protected)
                if leaks or not reply:
                    interventions.append({"action": "rewrite", "original": reply, "move": move,
                                          "leaks": [leak.to_dict() for leak in leaks]})
                    reply, move = SAFE_PROBING_QUESTION, "probing"
                if ctx.on_reset is not None:  # the page drops what it showed, then the new text
                    ctx.on_reset()
                if ctx.on_token is not None:
                    ctx.on_token(reply)
        span.attributes.update(interventions=interventions, guarded=guarded(state))
        entry = {"answer": state.get("student_answer"), "move": move}
        return {"reply": reply, "move": move, "guard": interventions,
                "history": {str(state["student_turn"]): entry}}


@cache
def tutor_graph(checkpointer=None):
    """The five nodes wired in a line, compiled once per checkpointer; every node is a traced
    span and every LLM call is recorded."""
    graph = StateGraph(TutorState, context_schema=TurnContext)
    nodes = {"assess": assess_node, "detect": detect_node, "choose_move": choose_move_node,
             "respond": respond_node, "guard": guard_node}
    previous = START
    for name, node in nodes.items():
        graph.add_node(name, node)
        graph.add_edge(previous, name)
        previous = name
    graph.add_edge(previous, END)
    return graph.compile(checkpointer=checkpointer)


def run_tutor_turn(llm: LLM, state: TutorState, *, tracer: Tracer,
                   on_token: TokenSink | None = None, on_reset: Callable[[], None] | None = None,
                   max_tokens: int = 160, detector: MisconceptionDetector | None = None,
                   checkpointer=None, thread_id: str | None = None) -> TutorState:
    """Run one turn of the tutor graph and return its final state.

    With a `checkpointer`, the state of `thread_id` (one per session) carries the history of
    earlier turns across calls and worker restarts.
    """
    context = TurnContext(llm=TracedLLM(llm, tracer), tracer=tracer,
                          detector=detector or NoDetector(), on_token=on_token,
                          on_reset=on_reset, max_tokens=max_tokens)
    graph = tutor_graph(checkpointer)
    with tracer.span("tutor_turn"):
        if checkpointer is None:
            return graph.invoke(state, context=context)
        # One checkpoint write at the end of the turn: a turn cut short is rerun whole, from
        # the state the previous turn left.
        return graph.invoke(state, {"configurable": {"thread_id": thread_id}},
                            context=context, durability="exit")
