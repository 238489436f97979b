"""The ATLAS session graph: probe lane -> inject pamphlets -> run lane -> reward -> learn.

    START -> probe -> inject -> plan -> review_plan -> solve      (coach)
                             \\-------------------------> solve   (auto, paired)
    solve -> reward (auto) | check -> reward (valid) | retry -> check ... -> reward
    reward -> persist -> learn -> END

As upstream (atlas-sdk 123ab40): the teacher validates attempts (`{valid, guidance}`) and
reviews plans (the reviewed plan replaces the student's) without the gold answer; the gold
answer only scores the finished session. The last retry is never validated. `oracle=True`
keeps the old in-session checker gate as a comparison arm. LLMs, store and config come in
through the run's context (`AtlasDeps`), so the compiled graph holds no state of its own.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import fmean
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, field_validator

from agents.atlas import prompts
from agents.atlas.lanes import Lane
from agents.atlas.memory import LearningMemory, MemoryStore
from agents.atlas.playbook import prune, update_counters
from agents.atlas.probe import ProbeDecision, llm_probe, rules_probe
from agents.atlas.reward import Reward, judge_reward, score_answer
from agents.atlas.session import AtlasConfig, AtlasSession, AtlasTask, Attempt, StudentRun
from agents.atlas.synthesis import GateResult, gate_update, propose_update
from agents.llm.structured import chat_json
from agents.llm.types import LLM, ChatMessage, LLMCall, LLMError
from agents.math import extract_answer, numbers_in
from agents.tracing import TracedLLM, Tracer


# Length bounds go in the schema only (json_schema_extra): they keep a constrained small
# engine's JSON inside the teacher's token budget, and an unconstrained reply is not refused.
class Validation(BaseModel):
    """Upstream's validation reply."""

    valid: bool
    guidance: str = Field("", json_schema_extra={"maxLength": 240})

    @field_validator("guidance", mode="before")
    @classmethod
    def _null_is_empty(cls, value):
        return "" if value is None else value


class PlanStep(BaseModel):
    id: int
    description: str = Field(json_schema_extra={"maxLength": 120})


class ReviewedPlan(BaseModel):
    """Upstream's plan-review reply: the corrected (or original) plan and any concerns."""

    steps: list[PlanStep] = Field(min_length=1, json_schema_extra={"maxItems": 4})
    concerns: list[Annotated[str, Field(json_schema_extra={"maxLength": 160})]] = Field(
        default_factory=list, json_schema_extra={"maxItems": 2})

    @field_validator("concerns", mode="before")
    @classmethod
    def _null_is_none(cls, value):
        return [] if value is None else value


@dataclass(frozen=True)
class AtlasDeps:
    """What the graph's nodes need, passed as the run's context."""

    student: LLM
    teacher: LLM
    judge: LLM
    store: MemoryStore
    config: AtlasConfig
    tracer: Tracer


def _add_usage(left: dict[str, dict], right: dict[str, dict]) -> dict[str, dict]:
    out = {role: dict(u) for role, u in left.items()}
    for role, u in right.items():
        mine = out.setdefault(role, {})
        for name, n in u.items():
            mine[name] = mine.get(name, 0) + n
    return out


class AtlasState(TypedDict, total=False):
    key: str
    task: AtlasTask
    history: list[float]
    lane: Lane
    probe_reason: str
    probe_alt: str
    memory: LearningMemory
    student_system: str
    teacher_system: str
    student_plan: str
    plan: str
    plan_guidance: str
    attempts: list[Attempt]
    student_input: Annotated[list[str], operator.add]
    reward: Reward
    usage: Annotated[dict[str, dict], _add_usage]
    gate: GateResult
    memory_changed: bool
    memory_version: int


Ctx = Runtime[AtlasDeps]


class _Meter:
    """Counts the calls and tokens of every call through an engine, for one role."""

    def __init__(self, llm: LLM, role: str) -> None:
        self.llm, self.engine, self.model, self.role = llm, llm.engine, llm.model, role
        self.calls = self.prompt_tokens = self.completion_tokens = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def usage(self) -> dict[str, dict]:
        """This meter's usage, keyed by its role, for the state's reducer."""
        if not self.calls:
            return {}
        return {self.role: {"calls": self.calls, "prompt_tokens": self.prompt_tokens,
                            "completion_tokens": self.completion_tokens}}

    def count(self, call: LLMCall) -> LLMCall:
        self.calls += 1
        self.prompt_tokens += call.usage.prompt_tokens
        self.completion_tokens += call.usage.completion_tokens
        return call

    def chat(self, messages: Sequence[ChatMessage], **kwargs) -> LLMCall:
        return self.count(self.llm.chat(messages, **kwargs))

    def complete(self, prompt: str, **kwargs) -> LLMCall:
        return self.count(self.llm.complete(prompt, **kwargs))

    def ask(self, system: str, user: str, max_tokens: int, temperature: float = 0.7,
            history: Sequence[ChatMessage] = ()) -> str:
        messages = [{"role": "system", "content": system}, *history,
                    {"role": "user", "content": user}]
        return self.chat(messages, max_tokens=max_tokens, temperature=temperature).completion


def _traced(node):
    """Run a node inside a tracer span named after it."""
    @functools.wraps(node)
    def run(state: AtlasState, runtime: Ctx) -> dict:
        with runtime.context.tracer.span(f"atlas.{node.__name__}", key=state["key"]):
            return node(state, runtime)
    return run


@_traced
def probe(state: AtlasState, runtime: Ctx) -> dict:
    """Pick the lane with the configured probe; the other probe decides on the same history."""
    deps, cfg = runtime.context, runtime.context.config
    records = list(deps.store.records(state["key"]))
    if records:  # the key's learning so far travels with its latest session, as upstream's notes
        memory = deps.store.load(state["key"])
        records[-1] = replace(records[-1], student_learning=memory.student_pamphlet.text,
                              teacher_learning=memory.teacher_pamphlet.text)
    meter = _Meter(deps.judge, "probe")
    decisions: dict[str, ProbeDecision] = {
        "llm": llm_probe(meter, state["task"].question, records, thresholds=cfg.thresholds,
                         forced=cfg.forced_lane, max_tokens=cfg.probe_tokens),
        "rules": rules_probe(records, thresholds=cfg.thresholds, forced=cfg.forced_lane)}
    chosen = decisions[cfg.probe]
    other = decisions["rules" if cfg.probe == "llm" else "llm"]
    confidence = "" if chosen.confidence is None else f" (confidence {chosen.confidence:.2f})"
    return {"history": [r.score for r in records], "lane": chosen.lane,
            "probe_reason": f"{cfg.probe} probe: {chosen.reason}{confidence}",
            "probe_alt": f"{other.lane}: {other.reason}", "usage": meter.usage()}


@_traced
def inject(state: AtlasState, runtime: Ctx) -> dict:
    """Load the key's memory; put its pamphlets into the prompts unless `apply_to_prompts` is off."""
    memory = runtime.context.store.load(state["key"])
    if not runtime.context.config.apply_to_prompts:  # shadow run: learn, but do not use it
        return {"memory": memory, "student_system": prompts.STUDENT, "teacher_system": ""}
    return {"memory": memory,
            "student_system": prompts.with_notes(prompts.STUDENT, memory.student_pamphlet,
                                                 "Your notes from earlier practice"),
            "teacher_system": prompts.with_notes("", memory.teacher_pamphlet,
                                                 "Your notes on this learner")}


@_traced
def plan(state: AtlasState, runtime: Ctx) -> dict:
    """Coach lane: the student writes a plan before solving."""
    student = _Meter(runtime.context.student, "student")
    text = student.ask(state["student_system"],
                       prompts.PLAN.format(question=state["task"].question),
                       runtime.context.config.student_tokens)
    return {"plan": text, "student_plan": text, "usage": student.usage()}


@_traced
def review_plan(state: AtlasState, runtime: Ctx) -> dict:
    """Coach lane: the teacher reviews the plan (no gold); the reviewed plan replaces it."""
    teacher, task = _Meter(runtime.context.teacher, "teacher"), state["task"]
    messages = [{"role": "system", "content": prompts.PLAN_REVIEW + state["teacher_system"]},
                {"role": "user", "content": json.dumps(
                    {"task": task.question, "plan": state["plan"]}, ensure_ascii=False)
                 + "\nReturn json."}]
    try:
        reply = chat_json(teacher, messages, ReviewedPlan,
                          max_tokens=runtime.context.config.teacher_tokens, temperature=0.2)
    except LLMError:
        return {"plan_guidance": "", "usage": teacher.usage()}
    if reply.value is None:  # upstream keeps the student's plan when the review has no steps
        return {"plan_guidance": "", "usage": teacher.usage()}
    steps = "\n".join(f"{n}. {s.description.strip()}" for n, s in enumerate(reply.value.steps, 1))
    concerns = " ".join(c.strip() for c in reply.value.concerns if c.strip())
    return {"plan": steps, "plan_guidance": _shorten(concerns), "usage": teacher.usage()}


@_traced
def solve(state: AtlasState, runtime: Ctx) -> dict:
    """The student's first attempt."""
    student = _Meter(runtime.context.student, "student")
    problem = _problem(state)
    text = student.ask(state["student_system"], problem, runtime.context.config.student_tokens)
    return {"attempts": [Attempt(text, extract_answer(text))], "student_input": [problem],
            "usage": student.usage()}


@_traced
def check(state: AtlasState, runtime: Ctx) -> dict:
    """The teacher validates the last attempt without the gold answer (`oracle`: the checker)."""
    deps, task = runtime.context, state["task"]
    *done, attempt = state["attempts"]
    teacher = _Meter(deps.teacher, "teacher")
    if deps.config.oracle and task.gold is not None:
        correct = score_answer(attempt.text, task.gold).score == 1.0
        feedback = "" if correct else _guard(teacher.ask(
            prompts.TEACHER + state["teacher_system"],
            prompts.FEEDBACK.format(question=task.question, work=attempt.text),
            deps.config.teacher_tokens), task.gold)
        return {"attempts": [*done, replace(attempt, correct=correct, feedback=feedback)],
                "usage": teacher.usage()}
    payload = {"task": task.question, "student_response": attempt.text,
               "prior_guidance": [a.feedback for a in done if a.feedback]}
    messages = [{"role": "system", "content": prompts.VALIDATION + state["teacher_system"]},
                {"role": "user", "content": json.dumps(payload, ensure_ascii=False)
                 + "\nReturn json."}]
    try:
        reply = chat_json(teacher, messages, Validation,
                          max_tokens=deps.config.teacher_tokens, temperature=0.2)
        verdict = reply.value
    except LLMError:
        verdict = None
    if verdict is None:  # an unusable verdict stops the lane: no unvalidated extra attempt
        return {"attempts": [*done, attempt], "usage": teacher.usage()}
    guidance = (verdict.guidance or "").strip()
    if state["lane"] == "coach":
        guidance = _shorten(guidance)
    feedback = "" if verdict.valid else (guidance or prompts.FALLBACK_FEEDBACK)
    return {"attempts": [*done, replace(attempt, correct=verdict.valid, feedback=feedback)],
            "usage": teacher.usage()}


@_traced
def retry(state: AtlasState, runtime: Ctx) -> dict:
    """The student tries again with the teacher's guidance."""
    student, last = _Meter(runtime.context.student, "student"), state["attempts"][-1]
    history: list[ChatMessage] = [{"role": "user", "content": _problem(state)},
                                  {"role": "assistant", "content": last.text}]
    ask = prompts.RETRY.format(feedback=last.feedback)
    text = student.ask(state["student_system"], ask, runtime.context.config.student_tokens,
                       history=history)
    return {"attempts": [*state["attempts"], Attempt(text, extract_answer(text))],
            "student_input": [ask], "usage": student.usage()}


@_traced
def reward(state: AtlasState, runtime: Ctx) -> dict:
    """Score the finished session: checker with gold, judge ensemble without."""
    deps, task, attempts = runtime.context, state["task"], state["attempts"]
    if task.gold is not None:
        scored = [replace(a, checked=score_answer(a.text, task.gold).score == 1.0) for a in attempts]
        return {"reward": score_answer(attempts[-1].text, task.gold), "attempts": scored}
    judge, arbiter = _Meter(deps.judge, "judge"), _Meter(deps.teacher, "judge")
    result = judge_reward(judge, arbiter, task.question, attempts[-1].text,
                          deps.config.judge_runs, max_tokens=deps.config.judge_tokens)
    return {"reward": result, "usage": _add_usage(judge.usage(), arbiter.usage())}


@_traced
def persist(state: AtlasState, runtime: Ctx) -> dict:
    """Record the reward and lane in the store."""
    runtime.context.store.record_reward(state["key"], state["reward"], state["lane"])
    return {}


@_traced
def learn(state: AtlasState, runtime: Ctx) -> dict:
    """Update counters, prune, synthesize, gate; save a new version if anything changed.

    Cue hits count in the student's input (upstream's `detect_and_record` on the user
    message); adoption is the action's words in the student's output. With `update_enabled`
    off (a frozen run) nothing is written.
    """
    deps, task, old = runtime.context, state["task"], state["memory"]
    if not deps.config.update_enabled:
        return {"gate": GateResult(False, old, ("memory frozen: updates disabled",)),
                "memory_changed": False, "memory_version": old.version}
    score, recent = state["reward"].score, state["history"][-deps.config.thresholds.window:]
    base = update_counters(old, "\n".join(state.get("student_input", [])), score,
                           fmean(recent) if recent else score,
                           hashlib.sha256(task.question.encode()).hexdigest()[:12],
                           output_text="\n".join(a.text for a in state["attempts"]))
    base = replace(base, entries=prune(base.entries))
    memory_llm = _Meter(deps.teacher, "memory")
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
            "usage": memory_llm.usage()}


def _after_inject(state: AtlasState) -> str:
    return "plan" if state["lane"] == "coach" else "solve"


def _after_solve(state: AtlasState) -> str:
    return "reward" if state["lane"] == "auto" else "check"


def _after_check(state: AtlasState, runtime: Ctx) -> str:
    attempts = state["attempts"]
    done = attempts[-1].correct is not False or len(attempts) >= runtime.context.config.max_attempts
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


@functools.cache
def atlas_graph():
    """The ATLAS session graph, compiled once per process."""
    return build_atlas_graph()


def _tokens(usage: dict[str, dict]) -> dict[str, int]:
    return {role: u.get("prompt_tokens", 0) + u.get("completion_tokens", 0)
            for role, u in usage.items()}


def run_atlas_session(student_llm: LLM, teacher_llm: LLM, task: AtlasTask, store: MemoryStore,
                      key: str, config: AtlasConfig | None = None, tracer: Tracer | None = None,
                      *, judge_llm: LLM | None = None) -> AtlasSession:
    """Run one supervised session on `key`; the teacher also arbitrates and rewrites memory."""
    config = config or AtlasConfig()
    judge_llm = judge_llm or teacher_llm
    tracer = tracer or Tracer()
    student_llm, teacher_llm, judge_llm = (TracedLLM(llm, tracer)
                                           for llm in (student_llm, teacher_llm, judge_llm))
    deps = AtlasDeps(student_llm, teacher_llm, judge_llm, store, config, tracer)
    s = atlas_graph().invoke({"key": key, "task": task, "usage": {}}, context=deps)
    return AtlasSession(
        key=key, task=task, lane=s["lane"], probe_reason=s["probe_reason"],
        plan=s.get("plan", ""), plan_guidance=s.get("plan_guidance", ""),
        attempts=tuple(s["attempts"]), reward=s["reward"],
        succeeded=s["reward"].score >= config.thresholds.high, tokens=_tokens(s["usage"]),
        memory_changed=s["memory_changed"], memory_version=s["memory_version"], gate=s["gate"],
        student_plan=s.get("student_plan", ""), usage=s["usage"], probe_alt=s["probe_alt"])


def run_student_alone(student_llm: LLM, task: AtlasTask, *, judge_llm: LLM | None = None,
                      max_tokens: int = 512, attempts: int = 1) -> StudentRun:
    """The baselines: the student with no teacher and no memory, scored the same way.

    With `attempts` > 1 the student rechecks its own work that many times in all (the
    self-retry baseline on ATLAS's attempt budget); the last attempt is scored.
    """
    student = _Meter(student_llm, "student")
    history: list[ChatMessage] = []
    done: list[Attempt] = []
    ask = prompts.SOLVE.format(question=task.question)
    for _ in range(attempts):
        text = student.ask(prompts.STUDENT, ask, max_tokens, history=history)
        done.append(Attempt(text, extract_answer(text)))
        history += [{"role": "user", "content": ask}, {"role": "assistant", "content": text}]
        ask = prompts.SELF_RETRY
    final = done[-1]
    if task.gold is not None:
        result = score_answer(final.text, task.gold)
        done = [replace(a, checked=score_answer(a.text, task.gold).score == 1.0) for a in done]
    elif judge_llm is not None:
        result = judge_reward(judge_llm, judge_llm, task.question, final.text)
    else:
        raise ValueError("a task without a gold answer needs a judge_llm to be scored")
    return StudentRun(done[-1], result, student.tokens, tuple(done), student.usage())


def _problem(state: AtlasState) -> str:
    question = state["task"].question
    if state.get("plan"):
        text = prompts.SOLVE_WITH_REVIEWED_PLAN.format(question=question, plan=state["plan"])
        guidance = state.get("plan_guidance", "")
        return f"{text}\n\nYour teacher's note on the plan: {guidance}" if guidance else text
    return prompts.SOLVE.format(question=question)


def _shorten(text: str, sentences: int = 2) -> str:
    """At most `sentences` sentences (upstream shortens coach guidance)."""
    return " ".join([s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s][:sentences])


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
        lines += [f"Plan: {state['plan']}",
                  f"Teacher on the plan: {state.get('plan_guidance', '')}"]
    for n, a in enumerate(state["attempts"], 1):
        verdict = {True: "accepted", False: "sent back", None: "not validated"}[a.correct]
        lines.append(f"Attempt {n} ({verdict}): {a.text}")
        if a.feedback:
            lines.append(f"Teacher: {a.feedback}")
    r = state["reward"]
    lines.append(f"Reward: {r.score:.2f} from the {r.source}"
                 + ("" if r.source == "checker" else f" ({r.rationale})"))
    return "\n".join(lines)
