"""MathDial interactive evaluation: a tutor and a simulated student talk, success@k/telling@k.

Framework-free: `load_dataset` reads any JSONL file in the format of
data/mathdial/dev.jsonl, `run_dialogue` plays one dialogue (TutorGraph or the plain
prompted baseline against the simulated student), `build_report` aggregates with bootstrap
95% intervals. The app persists what these return.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver

# DatasetError and MathDialItem stay importable from here (the apps use them).
from agents.datasets import DatasetError as DatasetError
from agents.datasets import MathDialItem as MathDialItem
from agents.datasets import load_mathdial
from agents.eval.dialogue_metrics import aggregate, bootstrap_ci, success_and_telling
from agents.graphs.detection import MisconceptionDetector
from agents.graphs.moves import Move
from agents.graphs.simulated_student import (
    UPSTREAM_TOKENS,
    StudentSeed,
    opening_turn,
    student_turn,
    upstream_student_reply,
    upstream_text,
)
from agents.graphs.tutor import AUDITED, audit_reply, run_tutor_turn
from agents.llm import LLM, ChatMessage
from agents.tracing import TracedLLM, Tracer

TUTORS = ("tutorgraph", "baseline")
# `mathdial`: upstream's harness (eth-nlped/mathdial b452be4, interactivetutoring/): greeting,
# then 4 student/teacher pairs, no early stop; the InstructGPT student prompt at temperature 0
# and 512 tokens; the baseline tutor sees the correct solution, at temperature 0, 512 tokens.
# `tutorgraph`: our earlier protocol (the wrong solution as turn 0, up to k_max pairs, stop once
# the student states the answer, a yielding chat student at 0.4, a baseline without solution).
PROTOCOLS = ("mathdial", "tutorgraph")
MATHDIAL_PAIRS = 4
MATHDIAL_GREETING = "Hi {name}! Could you walk me through your solution?"
MATHDIAL_TEACHER_PROMPT = ("A tutor and a student work together to solve the following math word "
                           "problem. \n") + """Math problem: {problem}
The correct solution is as follows:
{ground_truth}
The following is a conversation with a teacher. The teacher is polite, helpful, professional, on \
topic, and factually correct.
"""
BASELINE_PROMPT = """You are a maths tutor talking with a student.
Problem: {problem}
The student's solution has a mistake. Help the student find the mistake.
Reply in one or two short sentences."""
GREETING = "Hi {name}, please talk me through your solution."


def load_dataset(path: str | Path) -> list[MathDialItem]:
    """Every item of a MathDial JSONL file; the first bad line raises DatasetError."""
    return load_mathdial(path)


def select(items: Sequence[MathDialItem], limit: int | None, seed: int) -> list[MathDialItem]:
    """`limit` items drawn with `seed` (all of them when no limit), in file order."""
    if limit is None or limit >= len(items):
        return list(items)
    return sorted(random.Random(seed).sample(list(items), limit), key=lambda i: i.line)


def _tutor_side(turns: list[dict]) -> list[ChatMessage]:
    return [{"role": "assistant" if t["speaker"] == "teacher" else "user", "content": t["text"]}
            for t in turns]


def _student_side(turns: list[dict]) -> list[ChatMessage]:
    return [{"role": "user" if t["speaker"] == "teacher" else "assistant", "content": t["text"]}
            for t in turns]


def mathdial_baseline_reply(llm: LLM, item: MathDialItem, turns: Sequence[dict], *,
                            tracer: Tracer) -> str:
    """Upstream's ChatGPT teacher: the correct solution in the system prompt, temperature 0."""
    messages = [{"role": "system", "content": MATHDIAL_TEACHER_PROMPT.format(
        problem=item.question, ground_truth=item.ground_truth)},
        *({"role": "assistant" if t["speaker"] == "teacher" else "user",
           "content": upstream_text(t["text"])} for t in turns)]
    with tracer.span("baseline_turn"):
        call = TracedLLM(llm, tracer).chat(messages, max_tokens=UPSTREAM_TOKENS, temperature=0.0,
                                           stop=["Student:", "student:"])
    return call.completion.strip()


def run_dialogue(item: MathDialItem, *, tutor: str, tutor_llm: LLM, student_llm: LLM,
                 tracer: Tracer, k_max: int = 7, max_tokens: int = 60,
                 telling_budget_turn: int = 5,
                 detector: MisconceptionDetector | None = None,
                 protocol: str = "tutorgraph") -> dict:
    """Play one dialogue under `protocol` (see PROTOCOLS) and score success@k / telling@k.

    `tutorgraph`: greeting, the student's solution, then tutor/student turns until the student
    states the answer or has had `k_max` turns after its first. `mathdial`: upstream's harness.
    """
    if tutor not in TUTORS:
        raise ValueError(f"unknown tutor {tutor!r}; choose one of {', '.join(TUTORS)}")
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    if protocol == "mathdial":
        return _run_mathdial(item, tutor=tutor, tutor_llm=tutor_llm, student_llm=student_llm,
                             tracer=tracer, k_max=k_max, max_tokens=max_tokens,
                             telling_budget_turn=telling_budget_turn, detector=detector)
    seed = StudentSeed(problem=item.question, incorrect_solution=item.incorrect_solution,
                       profile=item.profile, gold_answer=item.ground_truth)
    turns: list[dict] = [
        {"speaker": "teacher", "text": GREETING.format(name=item.student_name), "move": Move.GENERIC.value,
         "guard": [], "detections": []},
        {"speaker": "student", "text": opening_turn(seed)},
    ]
    checkpointer = InMemorySaver()
    traced = TracedLLM(tutor_llm, tracer)
    solved = False
    with tracer.span("dialogue", qid=item.qid, line=item.line, tutor=tutor):
        for _ in range(k_max):
            history = _tutor_side(turns[:-1])
            if tutor == "tutorgraph":
                state = run_tutor_turn(
                    tutor_llm, {"problem": item.question, "gold_answer": item.ground_truth,
                                "gold_solution": item.ground_truth, "dialogue": history,
                                "student_message": turns[-1]["text"],
                                "telling_budget_turn": telling_budget_turn},
                    tracer=tracer, max_tokens=max_tokens, detector=detector,
                    checkpointer=checkpointer, thread_id=f"{item.line}")
                turns.append({"speaker": "teacher", "text": state["reply"],
                              "move": state["move"], "guard": state.get("guard", []),
                              "detections": state.get("detections", []),
                              "verdict": state.get("verdict", {})})
            else:
                with tracer.span("baseline_turn"):
                    call = traced.chat(
                        [{"role": "system", "content": BASELINE_PROMPT.format(
                            problem=item.question)}, *history,
                         {"role": "user", "content": turns[-1]["text"]}],
                        max_tokens=max_tokens, temperature=0.7)
                turns.append({"speaker": "teacher", "text": call.completion.strip(), "move": "",
                              "guard": [], "detections": []})
            turns[-1]["checks"] = audit_reply(
                turns[-1]["text"], problem=item.question, gold_answer=item.ground_truth,
                gold_solution=item.ground_truth, telling_budget_turn=telling_budget_turn,
                student_texts=[t["text"] for t in turns if t["speaker"] == "student"])
            reply = student_turn(student_llm, seed, _student_side(turns), tracer=tracer,
                                 max_tokens=max_tokens)
            turns.append({"speaker": "student", "text": reply["reply"]})
            if reply["solved"]:
                solved = True
                break
    metrics = success_and_telling([(t["speaker"], t["text"]) for t in turns], item.ground_truth,
                                  ks=range(1, k_max + 1))
    return {"line": item.line, "qid": item.qid, "tutor": tutor, "protocol": "tutorgraph",
            "turns": turns, "solved": solved, **metrics}


def _run_mathdial(item: MathDialItem, *, tutor: str, tutor_llm: LLM, student_llm: LLM,
                  tracer: Tracer, k_max: int, max_tokens: int, telling_budget_turn: int,
                  detector: MisconceptionDetector | None) -> dict:
    """Upstream's `gpt_baseline.py` loop: greeting, then 4 x (student, teacher), no early stop."""
    seed = StudentSeed(problem=item.question, incorrect_solution=item.incorrect_solution,
                       profile=item.profile, gold_answer=item.ground_truth)
    turns: list[dict] = [{"speaker": "teacher", "text": MATHDIAL_GREETING.format(
        name=item.student_name), "move": Move.GENERIC.value, "guard": [], "detections": []}]
    checkpointer = InMemorySaver()
    with tracer.span("dialogue", qid=item.qid, line=item.line, tutor=tutor, protocol="mathdial"):
        for _ in range(MATHDIAL_PAIRS):
            turns.append({"speaker": "student", "text": upstream_student_reply(
                student_llm, seed, item.student_name, turns, tracer=tracer)})
            if tutor == "baseline":
                turns.append({"speaker": "teacher", "move": "", "guard": [], "detections": [],
                              "text": mathdial_baseline_reply(tutor_llm, item, turns,
                                                              tracer=tracer)})
                continue
            state = run_tutor_turn(
                tutor_llm, {"problem": item.question, "gold_answer": item.ground_truth,
                            "gold_solution": item.ground_truth,
                            "dialogue": _tutor_side(turns[:-1]),
                            "student_message": turns[-1]["text"],
                            "telling_budget_turn": telling_budget_turn},
                tracer=tracer, max_tokens=max_tokens, detector=detector,
                checkpointer=checkpointer, thread_id=f"{item.line}")
            turns.append({"speaker": "teacher", "text": state["reply"], "move": state["move"],
                          "guard": state.get("guard", []),
                          "detections": state.get("detections", []),
                          "verdict": state.get("verdict", {})})
    for index, turn in enumerate(turns[1:], start=1):  # the greeting is not a reply to audit
        if turn["speaker"] == "teacher":
            turn["checks"] = audit_reply(
                turn["text"], problem=item.question, gold_answer=item.ground_truth,
                gold_solution=item.ground_truth, telling_budget_turn=telling_budget_turn,
                student_texts=[t["text"] for t in turns[:index] if t["speaker"] == "student"])
    metrics = success_and_telling([(t["speaker"], t["text"]) for t in turns], item.ground_truth,
                                  ks=range(1, k_max + 1))
    solved = metrics["s"] is not None
    return {"line": item.line, "qid": item.qid, "tutor": tutor, "protocol": "mathdial",
            "turns": turns, "solved": solved, **metrics}


def reply_metrics(dialogues: Sequence[dict]) -> dict:
    """Per tutor: share of shown replies that contradict the checker, state false arithmetic or
    leak (``reply_checks``), and share of turns the verifier accepted / regenerated / replaced
    with a template (``verifier``; empty for a tutor without one). The greeting is not counted."""
    replies = [t for d in dialogues for t in d["turns"]
               if t["speaker"] == "teacher" and "checks" in t]
    n = len(replies)
    checks = {"replies": n, **{reason: round(sum(reason in t["checks"] for t in replies) / n, 4)
                               if n else None for reason in AUDITED}}
    verdicts = [t["verdict"]["outcome"] for t in replies if t.get("verdict")]
    verifier = {outcome: round(verdicts.count(outcome) / len(verdicts), 4)
                for outcome in ("accepted", "regenerated", "template")} if verdicts else {}
    return {"reply_checks": checks, "verifier": verifier}


def build_report(dialogues: Sequence[dict], *, tutor: str, engine: str, model: str,
                 k_max: int = 7, seed: int = 0, params: dict | None = None) -> dict:
    """success@k / telling@k means with bootstrap 95% intervals, and each dialogue's s and t."""
    ks = range(1, k_max + 1)
    summary = aggregate(dialogues, ks)
    ci: dict = {"success_at_k": {}, "telling_at_k": {}}
    if dialogues:
        for metric in ("success_at_k", "telling_at_k"):
            for k in ks:
                low, high = bootstrap_ci([float(d[metric][str(k)]) for d in dialogues], seed=seed)
                ci[metric][str(k)] = [round(low, 4), round(high, 4)]
    return {"tutor": tutor, "engine": engine, "model": model, "n": summary["n"],
            "k_max": k_max, "seed": seed, "params": params or {},
            "success_at_k": summary["success_at_k"], "telling_at_k": summary["telling_at_k"],
            "ci95": ci,
            "guard_interventions": sum(len(t.get("guard", [])) for d in dialogues
                                       for t in d["turns"] if t["speaker"] == "teacher"),
            **reply_metrics(dialogues),
            "dialogues": [{"line": d["line"], "qid": d["qid"], "s": d["s"], "t": d["t"]}
                          for d in dialogues]}
