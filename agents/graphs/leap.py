"""LeaP peer reasoning (Luo et al., 2025): N paths of one problem swap summaries every T tokens.

Runs on any completions endpoint: the prompt is rendered once as plain text and every path is
continued as raw text. Small non-reasoning models have no `</think>`, so a path is finished
when the engine stops on its own (EOS or a stop string) or when it writes a complete
"Final answer: …" line; at the round limit the others are forced to answer.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from typing import Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agents.graphs.routing import ROUTERS, Router, route_peers
from agents.llm import LLM, LLMCall
from agents.math import answers_match, extract_answer
from agents.tracing import Tracer

# Upstream's prompt shape (LeaP leap/prompts.py, 589ff64) for chat models: the chat template,
# a user turn with the tag instruction and an example summary, and a pre-filled assistant
# preamble that repeats the instruction. The example is ours, a GSM8K-sized one without numbers:
# a small model copies an example's numbers into its own answers (seen on SmolLM2-135M).
EXAMPLE_SUMMARY = (
    "<summarize> In short, my current key insights about this problem are: find how many were "
    "sold first, then subtract that from the starting amount and add what was made later. And "
    "my current progress is: I have worked out how many were sold and how many are left; next I "
    "add what was made later. </summarize>")
LEAP_INSTRUCTION = (
    "Please reason step by step, and when you get some intermediate results, please summarize "
    "them enclosed with <summarize> </summarize> and you will get the comments from peers. For "
    "example:\n\n" + EXAMPLE_SUMMARY + " <comment> The comments from peers will be presented "
    "here. </comment>\n\nAfter you get the final answer, finish with a line "
    '"Final answer: <number>".')
COT_INSTRUCTION = 'Please reason step by step, and finish with a line "Final answer: <number>".'
LEAP_PREAMBLE = (
    "Okay, so I have this math problem. And the user instructs that I should summarize what I've "
    "concluded with tags when I get some intermediate results. For example:\n\n"
    + EXAMPLE_SUMMARY + "\n\nNow, let's get back to the original problem.\n")
CHAT_TEMPLATES = {
    # SmolLM2, Qwen2.5 and the R1 distills of Qwen use ChatML-style turns
    "chatml": "<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{preamble}",
}
PROMPT_STYLES = ("upstream", "plain")
# What the sampler is told explicitly (the paper's temperature 0.6, top-p 0.95, top-k 40; the
# code adds min-p 0.05): vLLM's and llama.cpp's own defaults differ.
SAMPLING = {"top_p": 0.95, "top_k": 40, "min_p": 0.05}
PROMPT = (
    "System: You are a careful maths solver.\n"
    "User: Solve the problem below. Reason step by step, one short step per line, and finish"
    ' with a line "Final answer: <number>".{tag_note}\n'
    "Problem: {problem}\n"
    "Assistant: Let's solve it step by step.\n"
)
TAG_NOTE = (" Now and then you will recap your progress inside <summarize></summarize>, and other"
            " solvers' recaps will appear inside <comment></comment>: check them against your"
            " own steps.")
TRIGGERS = ("Wait, let me quickly recap what I've concluded so far.",
            "Hold on, I should summarize the key points briefly to ensure I'm on the right track.",
            "Okay, before continuing, let me put together a brief summary of what I have so far.")
OPENERS = ("In short, my current conclusions are that", "To summarize, my recent findings are",
           "In short, I've currently concluded that")
REFLECT = ("Hmm, it seems that my peers have given me some comments, so let me check if anyone's "
           "conclusions are different from mine before I continue my own reasoning.\n")
NO_COMMENTS = "Hmm, there are no comments, so let's continue reasoning.\n"
# llama-cpp-python's server serves one request at a time, and a new one interrupts the running one
SEQUENTIAL_ENGINES = ("embedded",)
FORCE = "\nFinal answer:"
STOP = ("</think>", "\nUser:", "\nProblem:")
SUMMARY_STOP = ("</summarize>", "</think>", "<comment>")
ANSWER_LINE = re.compile(r"(final answer\s*[:=]?[ \t]*\S|\\boxed\{)[^\n]*", re.IGNORECASE)
OWN_TAG = re.compile(r"</?(?:comment|summarize)>")
SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")  # the paper cuts paragraphs; T is small here
OWN_KINDS = ("prefix", "reasoning", "answer")


@dataclass(frozen=True)
class LeapConfig:
    """One LeaP run: N paths, a LeaP block every T tokens, k peers per path."""

    n_paths: int = 4
    every_tokens: int = 128
    top_k: int = 2
    router: Router = "dispersed"
    max_rounds: int = 4
    summary_tokens: int = 256
    answer_tokens: int = 48
    temperature: float = 0.6
    seed: int = 0
    prompt_style: str = "upstream"
    chat_template: str = "chatml"
    sampling: tuple[tuple[str, float], ...] = tuple(SAMPLING.items())

    def __post_init__(self) -> None:
        if self.router not in ROUTERS:
            raise ValueError(f"unknown router {self.router!r}; choose one of {', '.join(ROUTERS)}")
        if self.prompt_style not in PROMPT_STYLES:
            raise ValueError(f"unknown prompt style {self.prompt_style!r}; choose one of "
                             f"{', '.join(PROMPT_STYLES)}")
        if self.chat_template not in CHAT_TEMPLATES:
            raise ValueError(f"unknown chat template {self.chat_template!r}")
        sizes = ("n_paths", "every_tokens", "max_rounds", "summary_tokens", "answer_tokens")
        for name in sizes:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.top_k < 0:
            raise ValueError("top_k must not be negative")


@dataclass(frozen=True)
class Segment:
    """A stretch of a path's text: the prompt, a given prefix, its own work or peer input."""

    kind: Literal["prompt", "prefix", "reasoning", "summary", "peers", "answer"]
    round: int
    text: str


@dataclass(frozen=True)
class PeerBlock:
    """Peer summaries inserted after `round`, `offset` characters into the path's text."""

    round: int
    offset: int
    peers: tuple[int, ...]
    text: str


@dataclass(frozen=True)
class LeapPath:
    """One reasoning path, verbatim and in segments, with its answer after every round."""

    index: int
    segments: tuple[Segment, ...]
    prefixed: bool = False
    finished: bool = False
    answers_by_round: tuple[str | None, ...] = ()
    peer_blocks: tuple[PeerBlock, ...] = ()
    tokens: int = 0

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    @property
    def own_text(self) -> str:
        """What the path itself wrote (prefix included), without prompt, recaps or peers."""
        return "".join(s.text for s in self.segments if s.kind in OWN_KINDS)

    @property
    def answer(self) -> str | None:
        return self.answers_by_round[-1] if self.answers_by_round else None


@dataclass(frozen=True)
class LeapResult:
    """The voted answer of one problem and every path that led to it."""

    problem: str
    mode: Literal["leap", "independent"]
    answer: str | None
    paths: tuple[LeapPath, ...]
    rounds: int

    @property
    def total_tokens(self) -> int:
        """Completion tokens of every call: reasoning, summaries and forced answers."""
        return sum(p.tokens for p in self.paths)


class LeapState(TypedDict, total=False):
    problem: str
    prefixes: list[str]
    paths: list[LeapPath]
    round: int
    summaries: dict[int, str]
    routes: dict[int, list[int]]
    answer: str | None


def render_prompt(problem: str, *, exchange: bool = True, style: str = "upstream",
                  template: str = "chatml") -> str:
    """The shared prompt; the tag instruction (as the paper gives untrained models) only with LeaP.

    `upstream`: the chat template with the instruction, example summary and pre-filled
    preamble (the baseline gets upstream's plain chain-of-thought line); `plain`: our earlier
    text prompt for models without a chat template.
    """
    if style == "plain":
        return PROMPT.format(problem=problem.strip(), tag_note=TAG_NOTE if exchange else "")
    user = f"{problem.strip()} {LEAP_INSTRUCTION if exchange else COT_INSTRUCTION}"
    return CHAT_TEMPLATES[template].format(user=user, preamble=LEAP_PREAMBLE if exchange else "")


BLOCK_OVERHEAD, MIN_EVERY, MIN_SUMMARY = 80, 32, 32


def fit_to_context(config: LeapConfig, context_tokens: int, prompt_tokens: int) -> tuple[LeapConfig, str]:
    """Shrink summary length, then T, then rounds until a path fits the engine's context.

    A path holds the prompt, every round's T tokens, a recap and k peer recaps per exchange,
    and the forced answer. Returns the config to run and a sentence for the report.
    """
    avail = context_tokens - prompt_tokens - config.answer_tokens
    summary, every, rounds = config.summary_tokens, config.every_tokens, config.max_rounds

    def need(s: int, t: int, r: int) -> int:
        return r * t + (r - 1) * (s * (1 + config.top_k) + BLOCK_OVERHEAD)

    while need(summary, every, rounds) > avail and summary > MIN_SUMMARY:
        summary = max(MIN_SUMMARY, summary // 2)
    while need(summary, every, rounds) > avail and every > MIN_EVERY:
        every = max(MIN_EVERY, every * 3 // 4)
    while need(summary, every, rounds) > avail and rounds > 1:
        rounds -= 1
    fitted = replace(config, summary_tokens=summary, every_tokens=every, max_rounds=rounds)
    note = (f"context {context_tokens} tokens (prompt ≈{prompt_tokens}): summaries ≤{summary} "
            f"tokens, T = {every}, {rounds} rounds, k = {config.top_k}"
            + ("" if fitted == config else f" (asked: ≤{config.summary_tokens}, "
               f"T = {config.every_tokens}, {config.max_rounds} rounds)"))
    return fitted, note


def estimate_tokens(text: str) -> int:
    """A tokenizer-free upper estimate (about 3 characters a token for English and maths)."""
    return len(text) // 3 + 1


def close_chunk(chunk: str, finish_reason: str | None) -> tuple[str, bool]:
    """Cut a chunk at a LeaP tag it wrote itself, or after its first complete answer line.

    Returns the chunk and whether the path is finished: the engine stopped or it answered.
    """
    ended = finish_reason == "stop"
    if tag := OWN_TAG.search(chunk):  # small models imitate the blocks: no invented peers
        chunk, ended = chunk[: tag.start()], False
    match = ANSWER_LINE.search(chunk)
    if match and (match.end() < len(chunk) or ended or tag):
        return chunk[: match.end() + 1], True  # what a small model rambles on with is dropped
    return chunk, ended


def cut_partial_sentence(text: str) -> str:
    """Drop what follows the last line break or sentence end; keep all if there is none."""
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    return text[: ends[-1]] if ends else text


def extend(path: LeapPath, segment: Segment, call: LLMCall) -> LeapPath:
    """The path with a segment appended and the call's completion tokens counted."""
    return replace(path, segments=(*path.segments, segment),
                   tokens=path.tokens + call.usage.completion_tokens)


def without_partial_sentence(path: LeapPath) -> LeapPath:
    """The path with the unfinished tail of its latest work cut, ready for a recap."""
    *head, last = path.segments
    return replace(path, segments=(*head, replace(last, text=cut_partial_sentence(last.text))))


def peer_block(summaries: Sequence[str]) -> str:
    """The `<comment>` block a path reads (upstream's shape): one `Peer i: "…"` line each."""
    if not summaries:
        return f" <comment> No comments </comment>\n\n{NO_COMMENTS}"
    lines = "\n".join(f'Peer {n}: "{summary}"' for n, summary in enumerate(summaries, 1))
    return f" <comment> {lines} </comment>\n\n{REFLECT}"


def majority_vote(answers: Sequence[str | None]) -> str | None:
    """The most common answer, equivalent forms counted together and missing answers ignored.

    A tie goes to the answer given by the lowest path index; it is returned in that form.
    """
    groups: list[list[str]] = []
    for answer in answers:
        if answer is None:
            continue
        group = next((g for g in groups if answers_match(answer, g[0])), None)
        if group is None:
            groups.append([answer])
        else:
            group.append(answer)
    return max(groups, key=len)[0] if groups else None


def after_generate(state: LeapState, *, max_rounds: int, exchange: bool) -> str:
    """Answer at the round limit or once every path is done; otherwise exchange and go on."""
    if state["round"] >= max_rounds or all(p.finished for p in state["paths"]):
        return "force_answer"
    return "summarize" if exchange else "generate"


def complete_all(llm: LLM, prompts: dict[int, str], **params) -> dict[int, LLMCall]:
    """Send one request per path, concurrently where the engine allows; calls by path index."""
    if not prompts:
        return {}
    workers = 1 if llm.engine in SEQUENTIAL_ENGINES else len(prompts)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {i: pool.submit(llm.complete, prompt, **params) for i, prompt in prompts.items()}
        return {i: future.result() for i, future in futures.items()}


@dataclass(frozen=True)
class LeapDeps:
    """What the LeaP graph's nodes need, passed as the run's context."""

    llm: LLM
    config: LeapConfig
    tracer: Tracer
    exchange: bool = True
    router_rng: random.Random = field(default_factory=random.Random)

    @property
    def sampling(self) -> dict:
        return dict(self.config.sampling)


def _record(tracer: Tracer, name: str, index: int, call: LLMCall, **attributes) -> None:
    with tracer.span(name, path=index, tokens=call.usage.completion_tokens, **attributes):
        tracer.record_call(call)


def start(state: LeapState, runtime: Runtime[LeapDeps]) -> LeapState:
    d = runtime.context
    prompt = render_prompt(state["problem"], exchange=d.exchange, style=d.config.prompt_style,
                           template=d.config.chat_template)
    prefixes = state["prefixes"]
    paths = []
    for i in range(d.config.n_paths):
        prefix = prefixes[i] if i < len(prefixes) else ""
        segments = (Segment("prompt", 0, prompt),) + ((Segment("prefix", 0, prefix),)
                                                       if prefix else ())
        paths.append(LeapPath(index=i, segments=segments, prefixed=bool(prefix)))
    return {"paths": paths, "round": 0}


def generate(state: LeapState, runtime: Runtime[LeapDeps]) -> LeapState:
    d = runtime.context
    round_, paths = state["round"] + 1, list(state["paths"])
    alive = [p for p in paths if not p.finished]
    with d.tracer.span("leap.generate", round=round_, alive=[p.index for p in alive]):
        calls = complete_all(d.llm, {p.index: p.text for p in alive},
                             max_tokens=d.config.every_tokens, temperature=d.config.temperature,
                             stop=STOP, sampling=d.sampling)
        for p in alive:
            call = calls[p.index]
            chunk, finished = close_chunk(call.completion, call.finish_reason)
            path = extend(p, Segment("reasoning", round_, chunk), call)
            path = replace(path, finished=finished, answers_by_round=(
                *path.answers_by_round, extract_answer(path.own_text)))
            _record(d.tracer, "leap.path", p.index, call, round=round_, finished=finished,
                   answer=path.answer)
            paths[p.index] = path
    return {"paths": paths, "round": round_}


def summarize(state: LeapState, runtime: Runtime[LeapDeps]) -> LeapState:
    d = runtime.context
    round_, paths = state["round"], list(state["paths"])
    rng = random.Random(f"{d.config.seed}/{round_}")
    alive = [without_partial_sentence(p) for p in paths if not p.finished]
    cues = {p.index: f"\n\n{rng.choice(TRIGGERS)} <summarize> {rng.choice(OPENERS)}"
            for p in alive}
    with d.tracer.span("leap.summarize", round=round_):
        calls = complete_all(d.llm, {p.index: p.text + cues[p.index] for p in alive},
                             max_tokens=d.config.summary_tokens, temperature=d.config.temperature,
                             stop=SUMMARY_STOP, sampling=d.sampling)
        summaries = {}
        for p in alive:
            call = calls[p.index]
            summaries[p.index] = " ".join(call.completion.split())  # routed without opener
            text = f"{cues[p.index]}{call.completion.rstrip()} </summarize>"
            paths[p.index] = extend(p, Segment("summary", round_, text), call)
            _record(d.tracer, "leap.summary", p.index, call, round=round_, summary=summaries[p.index])
    return {"paths": paths, "summaries": summaries}


def route(state: LeapState, runtime: Runtime[LeapDeps]) -> LeapState:
    d = runtime.context
    with d.tracer.span("leap.route", round=state["round"], router=d.config.router,
                     top_k=d.config.top_k) as span:
        routes = route_peers(state["summaries"], d.config.router, d.config.top_k, d.router_rng)
        span.attributes["heard"] = routes
    return {"routes": routes}


def share(state: LeapState, runtime: Runtime[LeapDeps]) -> LeapState:
    d = runtime.context
    round_, paths = state["round"], list(state["paths"])
    with d.tracer.span("leap.share", round=round_):
        for i, peers in state["routes"].items():
            p, text = paths[i], peer_block([state["summaries"][j] for j in peers])
            block = PeerBlock(round=round_, offset=len(p.text), peers=tuple(peers), text=text)
            paths[i] = replace(p, segments=(*p.segments, Segment("peers", round_, text)),
                               peer_blocks=(*p.peer_blocks, block))
    return {"paths": paths}


def force_answer(state: LeapState, runtime: Runtime[LeapDeps]) -> LeapState:
    d = runtime.context
    paths = list(state["paths"])
    todo = [p for p in paths if not p.finished or p.answer is None]
    with d.tracer.span("leap.force_answer", paths=[p.index for p in todo]):
        calls = complete_all(d.llm, {p.index: p.text + FORCE for p in todo},
                             max_tokens=d.config.answer_tokens, temperature=d.config.temperature,
                             stop=("\n",), sampling=d.sampling)
        for p in todo:
            call, last_round = calls[p.index], len(p.answers_by_round)
            path = extend(p, Segment("answer", last_round, FORCE + call.completion), call)
            # the forced answer closes the path's last round, so it replaces that round's
            path = replace(path, finished=True, answers_by_round=(
                *p.answers_by_round[:-1], extract_answer(path.own_text)))
            _record(d.tracer, "leap.path", p.index, call, round=last_round, forced=True,
                   answer=path.answer)
            paths[p.index] = path
    return {"paths": paths}


def vote(state: LeapState, runtime: Runtime[LeapDeps]) -> LeapState:
    d = runtime.context
    answers = [p.answer for p in state["paths"]]
    with d.tracer.span("leap.vote", answers=answers) as span:
        span.attributes["answer"] = answer = majority_vote(answers)
    return {"answer": answer}


def _after_generate(state: LeapState, runtime: Runtime[LeapDeps]) -> str:
    return after_generate(state, max_rounds=runtime.context.config.max_rounds,
                          exchange=runtime.context.exchange)


def build_leap_graph():
    """Wire `start → generate ⇄ summarize → route → share`, then `force_answer → vote`.

    Run it with `context=LeapDeps(...)`; with `exchange=False` the paths only generate: the
    independent-sampling baseline.
    """
    graph = StateGraph(LeapState, context_schema=LeapDeps)
    for node in (start, generate, summarize, route, share, force_answer, vote):
        graph.add_node(node.__name__, node)
    graph.add_edge(START, "start")
    graph.add_edge("start", "generate")
    graph.add_conditional_edges("generate", _after_generate, ["summarize", "generate", "force_answer"])
    graph.add_edge("summarize", "route")
    graph.add_edge("route", "share")
    graph.add_edge("share", "generate")
    graph.add_edge("force_answer", "vote")
    graph.add_edge("vote", END)
    return graph.compile()


@cache
def leap_graph():
    """The LeaP graph, compiled once per process."""
    return build_leap_graph()


def own_wrong_prefixes(llm: LLM, problem: str, gold: str, config: LeapConfig, *,
                       samples: int, max_tokens: int, fraction: float = 0.15,
                       tracer: Tracer | None = None) -> list[str]:
    """The paper's prefix trap: the model's own wrong responses, each cut at `fraction` of it.

    `samples` independent responses (no exchange, the run's sampling) are drawn; those whose
    answer is wrong (or missing) keep their first 15% of tokens, counted in whitespace tokens
    since the gateway has no tokenizer. Returns one prefix per wrong response.
    """
    tracer = tracer or Tracer()
    prompt = render_prompt(problem, exchange=False, style=config.prompt_style,
                           template=config.chat_template)
    calls = complete_all(llm, dict.fromkeys(range(samples), prompt), max_tokens=max_tokens,
                         temperature=config.temperature, stop=STOP, sampling=dict(config.sampling))
    prefixes = []
    with tracer.span("leap.trap", samples=samples, fraction=fraction):
        for _, call in sorted(calls.items()):
            tracer.record_call(call)
            answer = extract_answer(call.completion)
            if answer is not None and answers_match(answer, gold):
                continue
            words = re.findall(r"\s*\S+", call.completion)
            cut = "".join(words[: max(1, round(len(words) * fraction))])
            if cut.strip():
                prefixes.append(cut)
    return prefixes


def run_leap(llm: LLM, problem: str, config: LeapConfig, *, tracer: Tracer | None = None,
             prefixes: Sequence[str] | None = None) -> LeapResult:
    """Solve one problem with LeaP: N paths exchange summaries every T tokens, then vote.

    `prefixes[i]` (if given and not empty) starts path i from that text, e.g. a wrong start.
    """
    return _run(llm, problem, config, tracer=tracer, prefixes=prefixes, exchange=True)


def run_independent(llm: LLM, problem: str, config: LeapConfig,
                    prefixes: Sequence[str] | None = None, *,
                    tracer: Tracer | None = None) -> LeapResult:
    """The baseline: the same N paths, rounds and per-path token cap, no exchange, same vote."""
    return _run(llm, problem, config, tracer=tracer, prefixes=prefixes, exchange=False)


def _run(llm: LLM, problem: str, config: LeapConfig, *, tracer: Tracer | None,
         prefixes: Sequence[str] | None, exchange: bool) -> LeapResult:
    prefixes = list(prefixes or [])
    if len(prefixes) > config.n_paths:
        raise ValueError(f"{len(prefixes)} prefixes for {config.n_paths} paths")
    tracer = tracer or Tracer()
    mode: Literal["leap", "independent"] = "leap" if exchange else "independent"
    deps = LeapDeps(llm, config, tracer, exchange, random.Random(f"{config.seed}/router"))
    with tracer.span(mode, problem=problem, **asdict(config)) as span:
        state = leap_graph().invoke({"problem": problem, "prefixes": prefixes},
                                    {"recursion_limit": 4 * config.max_rounds + 8}, context=deps)
        span.attributes["answer"] = state["answer"]
    return LeapResult(problem=problem, mode=mode, answer=state["answer"],
                      paths=tuple(state["paths"]), rounds=state["round"])
