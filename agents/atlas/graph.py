"""The ATLAS session graph: probe lane -> inject pamphlets -> run lane -> reward -> learn.

    START -> probe -> inject -> plan -> review_plan -> solve      (coach)
                             \\-------------------------> solve   (auto, paired)
    solve -> reward (auto) | check -> reward (right) | retry -> check ... -> reward
    reward -> persist -> learn -> END

The last retry is never validated (papers.md 4). LLMs, store and config come in through the
run's context (`AtlasDeps`), so the compiled graph holds no state of its own.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import fmean
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agents.atlas import prompts
from agents.atlas.lanes import Lane, choose_lane
from agents.atlas.memory import LearningMemory, MemoryStore
from agents.atlas.playbook import prune, update_counters
from agents.atlas.reward import Reward, judge_reward, score_answer
from agents.atlas.session import AtlasConfig, AtlasSession, AtlasTask, Attempt, StudentRun
from agents.atlas.synthesis import GateResult, gate_update, propose_update
from agents.llm.types import LLM, ChatMessage, LLMCall
from agents.math import extract_answer, numbers_in
from agents.tracing import TracedLLM, Tracer


@dataclass(frozen=True)
class AtlasDeps:
    """What the graph's nodes need, passed as the run's context."""

    student: LLM
    teacher: LLM
    judge: LLM
    store: MemoryStore
    config: AtlasConfig
    tracer: Tracer | None = None


def _add_tokens(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    return {role: left.get(role, 0) + right.get(role, 0) for role in left.keys() | right.keys()}


class AtlasState(TypedDict, total=False):
    key: str
    task: AtlasTask
    history: list[float]
    lane: Lane
    probe_reason: str
    memory: LearningMemory
    student_system: str
    teacher_system: str
    plan: str
    plan_guidance: str
    attempts: list[Attempt]
    reward: Reward
    tokens: Annotated[dict[str, int], _add_tokens]
    gate: GateResult
    memory_changed: bool
    memory_version: int


Ctx = Runtime[AtlasDeps]


class _Meter:
    """Counts the tokens of every call through an engine."""

    def __init__(self, llm: LLM) -> None:
        self.llm, self.engine, self.model, self.tokens = llm, llm.engine, llm.model, 0

    def chat(self, messages: Sequence[ChatMessage], **kwargs) -> LLMCall:
        call = self.llm.chat(messages, **kwargs)
        self.tokens += call.usage.total_tokens
        return call

    def complete(self, prompt: str, **kwargs) -> LLMCall:
        call = self.llm.complete(prompt, **kwargs)
        self.tokens += call.usage.total_tokens
        return call

    def ask(self, system: str, user: str, max_tokens: int, temperature: float = 0.7,
            history: Sequence[ChatMessage] = ()) -> str:
        messages = [{"role": "system", "content": system}, *history,
                    {"role": "user", "content": user}]
        return self.chat(messages, max_tokens=max_tokens, temperature=temperature).completion


def _traced(node):
    """Run a node inside a tracer span named after it, when the run has a tracer."""
    @functools.wraps(node)
    def run(state: AtlasState, runtime: Ctx) -> dict:
        tracer = runtime.context.tracer
        if tracer is None:
            return node(state, runtime)
        with tracer.span(f"atlas.{node.__name__}", key=state["key"]):
            return node(state, runtime)
    return run


@_traced
def probe(state: AtlasState, runtime: Ctx) -> dict:
    """Pick the lane from the key's reward history."""
    cfg = runtime.context.config
    history = runtime.context.store.history(state["key"])
    lane, reason = choose_lane(history, cfg.thresholds, cfg.forced_lane)
    return {"history": history, "lane": lane, "probe_reason": reason}


@_traced
def inject(state: AtlasState, runtime: Ctx) -> dict:
    """Load the key's memory and put its pamphlets into the system prompts."""
    memory = runtime.context.store.load(state["key"])
    return {"memory": memory,
            "student_system": prompts.with_notes(prompts.STUDENT, memory.student_pamphlet,
                                                 "Your notes from earlier practice"),
            "teacher_system": prompts.with_notes(prompts.TEACHER, memory.teacher_pamphlet,
                                                 "Your notes on this learner")}


@_traced
def plan(state: AtlasState, runtime: Ctx) -> dict:
    """Coach lane: the student writes a plan before solving."""
    student = _Meter(runtime.context.student)
    text = student.ask(state["student_system"],
                       prompts.PLAN.format(question=state["task"].question),
                       runtime.context.config.student_tokens)
    return {"plan": text, "tokens": {"student": student.tokens}}


@_traced
def review_plan(state: AtlasState, runtime: Ctx) -> dict:
    """Coach lane: the teacher corrects the plan in at most two sentences."""
    teacher, task = _Meter(runtime.context.teacher), state["task"]
    text = teacher.ask(state["teacher_system"],
                       prompts.REVIEW_PLAN.format(question=task.question, plan=state["plan"]),
                       runtime.context.config.teacher_tokens)
    return {"plan_guidance": _guard(text, task.gold), "tokens": {"teacher": teacher.tokens}}


@_traced
def solve(state: AtlasState, runtime: Ctx) -> dict:
    """The student's first attempt."""
    student = _Meter(runtime.context.student)
    text = student.ask(state["student_system"], _problem(state),
                       runtime.context.config.student_tokens)
    return {"attempts": [Attempt(text, extract_answer(text))],
            "tokens": {"student": student.tokens}}


@_traced
def check(state: AtlasState, runtime: Ctx) -> dict:
    """Validate the last attempt (checker if gold, else the teacher) and give feedback."""
    teacher, task = _Meter(runtime.context.teacher), state["task"]
    *done, attempt = state["attempts"]
    budget = runtime.context.config.teacher_tokens
    if task.gold is not None:
        correct = score_answer(attempt.text, task.gold).score == 1.0
        feedback = "" if correct else teacher.ask(
            state["teacher_system"], prompts.FEEDBACK.format(question=task.question,
                                                             work=attempt.text), budget)
    else:
        reply = teacher.ask(state["teacher_system"], prompts.VERDICT.format(
            question=task.question, work=attempt.text), budget, temperature=0.2)
        verdict = re.search(r"verdict\s*:\s*\**\s*(in)?correct", reply, re.IGNORECASE)
        correct = bool(verdict) and not verdict.group(1)
        feedback = "" if correct else re.sub(r"(?im)^.*verdict\s*:.*$", "", reply)
    attempt = replace(attempt, correct=correct,
                      feedback="" if correct else _guard(feedback, task.gold))
    return {"attempts": [*done, attempt], "tokens": {"teacher": teacher.tokens}}


@_traced
def retry(state: AtlasState, runtime: Ctx) -> dict:
    """The student tries again with the teacher's feedback."""
    student, last = _Meter(runtime.context.student), state["attempts"][-1]
    history: list[ChatMessage] = [{"role": "user", "content": _problem(state)},
                                  {"role": "assistant", "content": last.text}]
    text = student.ask(state["student_system"], prompts.RETRY.format(feedback=last.feedback),
                       runtime.context.config.student_tokens, history=history)
    return {"attempts": [*state["attempts"], Attempt(text, extract_answer(text))],
            "tokens": {"student": student.tokens}}


@_traced
def reward(state: AtlasState, runtime: Ctx) -> dict:
    """Score the final attempt: checker with gold, judge ensemble without."""
    deps, task, final = runtime.context, state["task"], state["attempts"][-1]
    if task.gold is not None:
        return {"reward": score_answer(final.text, task.gold)}
    judge, arbiter = _Meter(deps.judge), _Meter(deps.teacher)
    result = judge_reward(judge, arbiter, task.question, final.text, deps.config.judge_runs,
                          max_tokens=deps.config.judge_tokens)
    return {"reward": result, "tokens": {"judge": judge.tokens + arbiter.tokens}}


@_traced
def persist(state: AtlasState, runtime: Ctx) -> dict:
    """Record the reward and lane in the store."""
    runtime.context.store.record_reward(state["key"], state["reward"], state["lane"])
    return {}


@_traced
def learn(state: AtlasState, runtime: Ctx) -> dict:
    """Update counters, prune, synthesize, gate; save a new version if anything changed."""
    deps, task, old = runtime.context, state["task"], state["memory"]
    score, recent = state["reward"].score, state["history"][-deps.config.thresholds.window:]
    session_text = "\n".join([task.question, state.get("plan", ""),
                              *(a.text for a in state["attempts"])])
    base = update_counters(old, session_text, score, fmean(recent) if recent else score,
                           hashlib.sha256(task.question.encode()).hexdigest()[:12])
    base = replace(base, entries=prune(base.entries))
    memory_llm = _Meter(deps.teacher)
    update = propose_update(memory_llm, base, _summary(state), max_tokens=deps.config.memory_tokens)
    final = state["attempts"][-1].answer  # without gold, the final answer must not leak either
    golds = [task.gold] if task.gold is not None else [final] if final else []
    gate = gate_update(base, update, golds)
    changed = gate.memory != old
    version = old.version + 1 if changed else old.version
    if changed:
        deps.store.save(state["key"], replace(gate.memory, version=version),
                        f"session {len(state['history']) + 1} ({state['lane']}): "
                        f"synthesis {gate.verdict}")
    return {"gate": gate, "memory_changed": changed, "memory_version": version,
            "tokens": {"memory": memory_llm.tokens}}


def _after_inject(state: AtlasState) -> str:
    return "plan" if state["lane"] == "coach" else "solve"


def _after_solve(state: AtlasState) -> str:
    return "reward" if state["lane"] == "auto" else "check"


def _after_check(state: AtlasState, runtime: Ctx) -> str:
    attempts = state["attempts"]
    done = attempts[-1].correct or len(attempts) >= runtime.context.config.max_attempts
    return "reward" if done else "retry"


def _after_retry(state: AtlasState, runtime: Ctx) -> str:
    more = len(state["attempts"]) < runtime.context.config.max_attempts
    return "check" if more else "reward"


def build_atlas_graph():
    """Wire the ATLAS session graph; run it with `context=AtlasDeps(...)`."""
    graph = StateGraph(AtlasState, context_schema=AtlasDeps)
    for node in (probe, inject, plan, review_plan, solve, check, retry, reward, persist, learn):
        graph.add_node(node.__name__, node)
    graph.add_edge(START, "probe")
    graph.add_edge("probe", "inject")
    graph.add_conditional_edges("inject", _after_inject, ["plan", "solve"])
    graph.add_edge("plan", "review_plan")
    graph.add_edge("review_plan", "solve")
    graph.add_conditional_edges("solve", _after_solve, ["reward", "check"])
    graph.add_conditional_edges("check", _after_check, ["reward", "retry"])
    graph.add_conditional_edges("retry", _after_retry, ["check", "reward"])
    graph.add_edge("reward", "persist")
    graph.add_edge("persist", "learn")
    graph.add_edge("learn", END)
    return graph.compile()


def run_atlas_session(student_llm: LLM, teacher_llm: LLM, task: AtlasTask, store: MemoryStore,
                      key: str, config: AtlasConfig | None = None, tracer: Tracer | None = None,
                      *, judge_llm: LLM | None = None) -> AtlasSession:
    """Run one supervised session on `key`; the teacher also arbitrates and rewrites memory."""
    config = config or AtlasConfig()
    judge_llm = judge_llm or teacher_llm
    if tracer is not None:
        student_llm, teacher_llm, judge_llm = (TracedLLM(llm, tracer)
                                               for llm in (student_llm, teacher_llm, judge_llm))
    deps = AtlasDeps(student_llm, teacher_llm, judge_llm, store, config, tracer)
    s = build_atlas_graph().invoke({"key": key, "task": task, "tokens": {}}, context=deps)
    return AtlasSession(
        key=key, task=task, lane=s["lane"], probe_reason=s["probe_reason"],
        plan=s.get("plan", ""), plan_guidance=s.get("plan_guidance", ""),
        attempts=tuple(s["attempts"]), reward=s["reward"],
        succeeded=s["reward"].score >= config.thresholds.high, tokens=s["tokens"],
        memory_changed=s["memory_changed"], memory_version=s["memory_version"], gate=s["gate"])


def run_student_alone(student_llm: LLM, task: AtlasTask, *, judge_llm: LLM | None = None,
                      max_tokens: int = 512) -> StudentRun:
    """The baseline: the student answers with no teacher and no memory, scored the same way."""
    student = _Meter(student_llm)
    text = student.ask(prompts.STUDENT, prompts.SOLVE.format(question=task.question), max_tokens)
    if task.gold is not None:
        result = score_answer(text, task.gold)
    elif judge_llm is not None:
        result = judge_reward(judge_llm, judge_llm, task.question, text)
    else:
        raise ValueError("a task without a gold answer needs a judge_llm to be scored")
    return StudentRun(Attempt(text, extract_answer(text)), result, student.tokens)


def _problem(state: AtlasState) -> str:
    question = state["task"].question
    if state.get("plan"):
        return prompts.SOLVE_WITH_PLAN.format(question=question, plan=state["plan"],
                                              guidance=state.get("plan_guidance", ""))
    return prompts.SOLVE.format(question=question)


def _guard(text: str, gold: str | None) -> str:
    """At most two sentences, none of them stating a number of the gold answer."""
    golds = set(numbers_in(gold)) if gold else set()
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    kept = [s for s in sentences if not golds & set(numbers_in(s))][:2]
    return " ".join(kept) or prompts.FALLBACK_FEEDBACK


def _summary(state: AtlasState) -> str:
    """The session as the memory writer sees it: no gold answer, only verdicts and scores."""
    lines = [f"Problem: {state['task'].question}", f"Lane: {state['lane']}"]
    if state.get("plan"):
        lines += [f"Student's plan: {state['plan']}",
                  f"Teacher on the plan: {state.get('plan_guidance', '')}"]
    for n, a in enumerate(state["attempts"], 1):
        verdict = {True: "right", False: "wrong", None: "not checked"}[a.correct]
        lines.append(f"Attempt {n} ({verdict}): {a.text}")
        if a.feedback:
            lines.append(f"Teacher: {a.feedback}")
    r = state["reward"]
    lines.append(f"Reward: {r.score:.2f} from the {r.source}"
                 + ("" if r.source == "checker" else f" ({r.rationale})"))
    return "\n".join(lines)
