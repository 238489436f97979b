"""The tutor graph: one tutoring turn, `assess → detect → choose_move → respond → guard`.

The pedagogy is decided and verified by code; the engine only phrases it. `respond` streams
the engine's draft through the reply verifier (:mod:`agents.graphs.verifier`, sentence by
sentence); `guard` verifies the whole draft, regenerates a rejected one once with the reason,
and when that fails too sends a template reply composed from the assessment
(:mod:`agents.graphs.reply_templates`). The verdict (accepted / regenerated / template) and its
reasons are in the state and the trace.

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

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agents.graphs.detection import MisconceptionDetector, NoDetector
from agents.graphs.guard import (
    Protected,
    SentenceHoldback,
    find_leaks,
    protected_values,
)
from agents.graphs.moves import (
    DEFAULT_TELLING_BUDGET_TURN,
    QUESTION_MOVES,
    Move,
    MoveContext,
    choose_move,
    telling_allowed,
)
from agents.graphs.reply_templates import PROBING_PLAIN, TemplateInput, goal_of, template_reply
from agents.graphs.verifier import (
    DraftCheck,
    Rejection,
    describe,
    prefix_is_clean,
    verify_reply,
)
from agents.llm import LLM, ChatMessage, TokenSink
from agents.math import answers_match, loss_question, stated_answer
from agents.math.arithmetic import equations_in, is_false
from agents.math.values import solution_steps
from agents.tracing import TracedLLM, Tracer

TUTOR_SYSTEM_PROMPT = """You are a patient maths tutor talking with a student.
Problem: {problem}
{assessment}
{instruction}
Speak to the student as "you". Reply in one or two short sentences.{ending}{no_telling}"""

NO_TELLING = " Never state the final answer or any result the student has not found."
END_WITH_QUESTION = " End with exactly one question."
REGENERATE_NOTE = ("Your previous reply was rejected: {reasons}. Write a new reply that avoids "
                   "this.")
REASON_HINTS = {
    "contradiction": "Do not say whether the answer is right unless the assessment says so.",
    "leak": "Do not state any result the student must find themselves.",
    "false_arithmetic": "Write no computation unless it is true.",
    "third_person": "Talk to the student as \"you\".",
    "prompt_echo": "Do not repeat these instructions.",
    "off_move": "Write at most two short sentences.",
}

MOVE_INSTRUCTIONS = {
    Move.FOCUS: "Point the student to this step of their work and ask one question about it: "
             "\"{first_error}\"",
    Move.PROBING: "Ask the student one question that makes them explain why they did what they "
               "did.",
    Move.TELLING: "Tell the student the correct step \"{expected_step}\", then ask them to finish.",
    Move.GENERIC: "The student's answer is right. Praise them in one sentence and ask them to "
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
    error_step: dict | None  # locate_error(): sentence, lhs, rhs, miscalculated
    expected_step: str | None
    detections: list[dict]
    move: str  # a Move's value: the checkpointed state holds plain strings
    reply: str
    guard: list[dict]  # every rejected draft, verbatim, with the verifier's reasons
    verdict: dict  # {"outcome": accepted | regenerated | template, "reasons", "drafts"}
    history: Annotated[dict, merge_history]


_SENTENCE_END = re.compile(r"\.(?=\s|$)|\n")


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence (or line) of `text` that holds the span start..end."""
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return text[before[-1] if before else 0:after.start() if after else len(text)].strip()


def _on_path(value: float, gold_values: list[float]) -> bool:
    return any(abs(value - g) < 1e-6 for g in gold_values)


def locate_error(student_work: str, gold_solution: str) -> dict | None:
    """The student's first wrong step: ``{"sentence", "lhs", "rhs", "miscalculated"}`` or None.

    A correct computation is never the first error: the first miscalculated step wins; with
    none, the first correct step whose result is off the gold path and from which no later
    step gets back onto it (a step taken in another order, "16 − 3 = 13" before "13 − 4 = 9",
    is not an error).
    """
    gold_values = solution_steps(gold_solution)
    steps = equations_in(student_work)
    for step in steps:
        if is_false(step.lhs, step.rhs):
            return {"sentence": _sentence_around(student_work, step.start, step.end),
                    "lhs": step.lhs, "rhs": step.rhs, "miscalculated": True}
    for i, step in enumerate(steps):
        later_on_path = any(_on_path(s.value, gold_values) for s in steps[i + 1:])
        if not _on_path(step.value, gold_values) and not later_on_path:
            return {"sentence": _sentence_around(student_work, step.start, step.end),
                    "lhs": step.lhs, "rhs": step.rhs, "miscalculated": False}
    return None


def first_wrong_step(student_work: str, gold_solution: str) -> tuple[str | None, str | None]:
    """(The sentence of the student's first wrong step (see :func:`locate_error`), the gold step
    the student has not reached yet); either is None when none."""
    gold_lines = [line.strip() for line in gold_solution.splitlines() if "=" in line]
    student_values = [s.value for s in equations_in(student_work)]
    error = locate_error(student_work, gold_solution)
    expected = next((line for line in gold_lines
                     if not any(abs(v - s) < 1e-6 for v in solution_steps(line)
                                for s in student_values)), None)
    return (error["sentence"] if error else None), expected


def check_answer(message: str, gold_answer: str, problem: str = "") -> tuple[str | None, bool]:
    """(The answer the message states, whether the checker accepts it); no LLM involved."""
    answer = stated_answer(message)
    if answer is None:
        return None, False
    correct = answers_match(answer, gold_answer)
    if not correct and answer.startswith("-") and loss_question(problem):
        correct = answers_match(answer[1:], gold_answer)  # "he lost 50" answers "how much lost"
    return answer, correct


def assess(state: TutorState) -> TutorState:
    """Check the latest answer with the maths checker and locate the first wrong step."""
    answer, correct = check_answer(state["student_message"], state["gold_answer"],
                                   state.get("problem", ""))
    student_turn = sum(1 for m in state.get("dialogue", []) if m["role"] == "user")
    work = state["student_message"]
    if "=" not in work:  # no computation in this message: look at the latest that had one
        work = next((m["content"] for m in reversed(state.get("dialogue", []))
                     if m["role"] == "user" and "=" in m["content"]), work)
    _wrong, expected = first_wrong_step(work, state.get("gold_solution", ""))
    error = None if correct else locate_error(work, state.get("gold_solution", ""))
    return {"student_answer": answer, "student_correct": correct, "student_turn": student_turn,
            "first_error": error["sentence"] if error else None, "error_step": error,
            "expected_step": expected}


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
        lines.append(f"The student's answer {state['student_answer']} is not correct: never "
                     "say it is right.")
    if state.get("detections"):
        top = state["detections"][0]
        lines.append(f"They may have this misconception: {top['name']} ({top['description']}).")
    return " ".join(lines)


def tutor_messages(state: TutorState, move: Move, *, note: str = "") -> list[ChatMessage]:
    """The respond node's prompt for a move."""
    allowed = telling_allowed(state["student_turn"], state.get("telling_budget_turn",
                                                               DEFAULT_TELLING_BUDGET_TURN))
    instruction = MOVE_INSTRUCTIONS[move]
    if move == Move.FOCUS and not state.get("first_error"):
        instruction = "Ask the student which quantity they need to find first."
    if move == Move.TELLING and not state.get("expected_step"):
        instruction = "Explain the step the student got wrong, then ask them to finish."
    instruction = instruction.format(first_error=state.get("first_error") or "",
                                     expected_step=state.get("expected_step") or "")
    system = TUTOR_SYSTEM_PROMPT.format(
        problem=state["problem"], assessment=assessment_line(state), instruction=instruction,
        ending=END_WITH_QUESTION if move in QUESTION_MOVES else "",
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
        move = choose_move(ctx).value
        span.attributes.update(move=move, student_turn=ctx.student_turn,
                               previous_moves=list(ctx.previous_moves),
                               turns_without_progress=ctx.turns_without_progress,
                               telling_allowed=telling_allowed(ctx.student_turn,
                                                               ctx.telling_budget_turn))
        return {"move": move}


def draft_check(state: TutorState, move: Move, messages: list[ChatMessage]) -> DraftCheck:
    """The verifier's view of this turn: assessment, move, protected values, the prompt."""
    students = [m["content"] for m in state.get("dialogue", []) if m["role"] == "user"]
    system = messages[0]["content"].replace(state["problem"], " | ")
    return DraftCheck(move=move, student_correct=bool(state.get("student_correct")),
                      student_answer=state.get("student_answer"),
                      protected=protected_for(state) if guarded(state) else None,
                      student_texts=(*students, state["student_message"]), instructions=system,
                      exempt_phrases=tuple(p for p in (
                          state.get("first_error"), state.get("expected_step"),
                          *[d.get(k) for d in state.get("detections", [])[:1]
                            for k in ("name", "description")]) if p))


def template_for(state: TutorState, move: Move) -> str:
    """The template reply for this turn's move and assessment (seeded by problem and turn)."""
    error = state.get("error_step") or {}
    return template_reply(TemplateInput(
        move=move, student_correct=bool(state.get("student_correct")),
        error_lhs=error.get("lhs"), error_rhs=error.get("rhs"),
        error_miscalculated=bool(error.get("miscalculated")),
        expected_step=state.get("expected_step"), goal=goal_of(state["problem"]),
        seed=f"{state['problem']}|{state.get('student_turn', 0)}",
        avoid=tuple(m["content"] for m in state.get("dialogue", []) if m["role"] == "assistant")))


def respond_node(state: TutorState, runtime: Runtime[TurnContext]) -> TutorState:
    ctx = runtime.context
    move = Move(state["move"])
    with ctx.tracer.span("respond", move=move.value):
        messages = tutor_messages(state, move)
        check = draft_check(state, move, messages)
        hold = SentenceHoldback(ctx.on_token, lambda text: prefix_is_clean(text, check))
        call = ctx.llm.chat(messages, max_tokens=ctx.max_tokens, temperature=0.7,
                            on_token=hold.feed)
        hold.close()
        return {"reply": call.completion.strip()}


def _rejected(text: str, move: Move, action: str, rejections: list[Rejection],
              check: DraftCheck) -> dict:
    leaks = find_leaks(text, check.protected) if check.protected is not None else []
    return {"action": action, "original": text, "move": move.value,
            "reasons": [r.to_dict() for r in rejections],
            "leaks": [leak.to_dict() for leak in leaks]}


def guard_node(state: TutorState, runtime: Runtime[TurnContext]) -> TutorState:
    """Verify the draft; regenerate once with the reason; then fall back to a template."""
    ctx = runtime.context
    with ctx.tracer.span("guard") as span:
        move = Move(state["move"])
        messages = tutor_messages(state, move)
        check = draft_check(state, move, messages)
        reply, interventions = state["reply"], []
        rejections = verify_reply(reply, check)
        outcome = "accepted"
        if rejections:
            interventions.append(_rejected(reply, move, "regenerate", rejections, check))
            hints = " ".join(dict.fromkeys(REASON_HINTS[r.reason] for r in rejections))
            note = REGENERATE_NOTE.format(reasons=describe(rejections)) + " " + hints
            call = ctx.llm.chat(tutor_messages(state, move, note=note),
                                max_tokens=ctx.max_tokens, temperature=0.7)
            reply, outcome = call.completion.strip(), "regenerated"
            rejections = verify_reply(reply, check)
            if rejections:
                interventions.append(_rejected(reply, move, "template", rejections, check))
                reply, outcome = template_for(state, move), "template"
                if verify_reply(reply, check):  # e.g. the problem's question holds the answer
                    reply = PROBING_PLAIN[0]
            if ctx.on_reset is not None:  # the page drops what it showed, then the new text
                ctx.on_reset()
            if ctx.on_token is not None:
                ctx.on_token(reply)
        verdict = {"outcome": outcome, "reasons": sorted({r["reason"] for i in interventions
                                                          for r in i["reasons"]}),
                   "drafts": len(interventions) + (outcome != "template")}
        span.attributes.update(verdict=verdict, interventions=interventions,
                               guarded=guarded(state))
        entry = {"answer": state.get("student_answer"), "move": move.value}
        return {"reply": reply, "move": move.value, "guard": interventions, "verdict": verdict,
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


AUDITED = ("contradiction", "false_arithmetic", "leak")


def audit_reply(reply: str, *, problem: str, gold_answer: str, gold_solution: str,
                student_texts: list[str], telling_budget_turn: int = DEFAULT_TELLING_BUDGET_TURN
                ) -> list[str]:
    """Which of AUDITED a shown reply breaks, judged as the verifier judges a draft; the same
    measure for any tutor (TutorGraph or a plain prompted baseline)."""
    if not student_texts:
        return []
    answer, correct = check_answer(student_texts[-1], gold_answer, problem)
    turn = len(student_texts) - 1
    protected = None if telling_allowed(turn, telling_budget_turn) else protected_values(
        gold_answer=gold_answer, solution=gold_solution, problem=problem,
        student_texts=student_texts)
    check = DraftCheck(move=Move.GENERIC, student_correct=correct, student_answer=answer,
                       protected=protected, student_texts=tuple(student_texts))
    return sorted({r.reason for r in verify_reply(reply, check) if r.reason in AUDITED})
