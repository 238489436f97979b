"""The misconception detector graph: `check → retrieve → rerank → rank`.

`retrieve` embeds the student's work and takes the k nearest catalogue entries from an
in-process vector index; `rerank` asks the LLM which of them explain the work and to quote the
evidence; `rank` fuses both into a ranked list of `Detection`s, or none. Two ablations share the
graph: `retrieval` skips the LLM, `llm` shows it the whole catalogue without retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal, Protocol, TypedDict

import numpy as np
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from agents.graphs.detection import Detection
from agents.llm import LLM, ChatMessage, LLMError
from agents.llm.structured import chat_json
from agents.tracing import TracedLLM, Tracer

Method = Literal["full", "retrieval", "llm"]
METHODS: tuple[Method, ...] = ("full", "retrieval", "llm")

RERANK_SYSTEM = "You are a maths teacher who diagnoses the mistake in a student's work."
RERANK_PROMPT = """Problem: {problem}
{gold}Student's work:
{work}

Possible misconceptions:
{options}

Which misconceptions explain the student's mistake? Answer as JSON: the option numbers, best
first, each with a short quote from the student's work, like
{{"picks": [{{"option": 2, "quote": "the quoted words"}}]}}
Answer {{"picks": []}} if none of them applies."""
MATHS_SIGNS = re.compile(
    r"\d|[=+*/^×÷<>%]|\b(plus|minus|times|divided|equals?|half|twice|double|sum|product|"
    r"fraction|percent|number|add(ed)?|subtract(ed)?|multipl(y|ied)|divide)\b", re.IGNORECASE)
SEGMENT_SPLIT = re.compile(r"\n+|(?<=[.!?;])\s+")


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        ...


@dataclass(frozen=True)
class CatalogueEntry:
    """One misconception of the catalogue, as the detector sees it."""

    key: str
    name: str
    description: str
    skill: str = ""
    example: str = ""

    def text(self) -> str:
        """What gets embedded: the name, what it means, and wrong work that shows it."""
        parts = [self.name, self.description]
        if self.example:
            parts.append(f"Example of wrong work: {self.example}")
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Candidate:
    entry: CatalogueEntry
    similarity: float


class CatalogueIndex:
    """The catalogue's embeddings, computed once, searched by cosine similarity."""

    def __init__(self, entries: Sequence[CatalogueEntry], embedder: Embedder) -> None:
        keys = [e.key for e in entries]
        if len(set(keys)) != len(keys):
            raise ValueError("catalogue keys must be unique")
        self.entries = list(entries)
        self.embedder = embedder
        self.vectors = embedder.embed([e.text() for e in self.entries])

    def search(self, vector: np.ndarray, k: int) -> list[Candidate]:
        """The k entries nearest to a unit vector, nearest first."""
        if not self.entries:
            return []
        similarities = self.vectors @ vector
        order = np.argsort(-similarities, kind="stable")[:k]
        return [Candidate(self.entries[i], float(similarities[i])) for i in order]


class DetectorState(TypedDict, total=False):
    problem: str
    gold_solution: str
    student_work: str
    rejected: str
    candidates: list[Candidate]
    picks: list[tuple[int, str]] | None
    detections: list[Detection]


def looks_like_maths(text: str) -> bool:
    """Whether the text has any number, maths sign or maths word in it."""
    return bool(MATHS_SIGNS.search(text))


@cache
def rerank_model(n_options: int) -> type[BaseModel]:
    """The rerank reply for `n_options` candidates: `{"picks": [{"option", "quote"}]}`, best
    first; an empty list means none applies."""
    pick = create_model(f"Pick{n_options}",
                        option=(int, Field(ge=1, le=n_options)),
                        quote=(str, Field(default="", max_length=300)))
    return create_model(f"Rerank{n_options}",
                        picks=(list[pick], Field(default_factory=list, max_length=n_options)))


def picks_of(reply: BaseModel) -> list[tuple[int, str]]:
    """(option, quote) pairs of a validated rerank reply, first mention of an option kept."""
    picks: list[tuple[int, str]] = []
    for pick in reply.picks:
        if pick.option not in [p[0] for p in picks]:
            picks.append((pick.option, pick.quote.strip()))
    return picks


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def quote_in_work(quote: str, work: str) -> str:
    """The quote when it really occurs in the work (ignoring case and spacing), else ""."""
    return quote.strip() if quote.strip() and _normalise(quote) in _normalise(work) else ""


@dataclass(frozen=True)
class DetectorDeps:
    """What the detector's nodes need, passed as the run's context."""

    index: CatalogueIndex
    llm: TracedLLM | None
    tracer: Tracer
    method: Method = "full"
    k: int = 5
    max_tokens: int = 120
    min_similarity: float = 0.0


Ctx = Runtime[DetectorDeps]


def check(state: DetectorState, runtime: Ctx) -> DetectorState:
    d = runtime.context
    with d.tracer.span("check") as span:
        work = state.get("student_work", "").strip()
        reason = ("empty work" if not work else
                  "no maths in the work" if not looks_like_maths(work) else
                  "empty catalogue" if not d.index.entries else "")
        span.attributes["rejected"] = reason
        return {"rejected": reason, "detections": []}


def retrieve(state: DetectorState, runtime: Ctx) -> DetectorState:
    d = runtime.context
    with d.tracer.span("retrieve", method=d.method, k=d.k) as span:
        if d.method == "llm":  # the ablation without retrieval: the whole catalogue, in order
            candidates = [Candidate(e, 0.0) for e in d.index.entries]
        else:
            candidates = d.index.search(d.index.embedder.embed([state["student_work"]])[0], d.k)
        span.attributes["candidates"] = [(c.entry.key, round(c.similarity, 4)) for c in candidates]
        return {"candidates": candidates}


def rerank(state: DetectorState, runtime: Ctx) -> DetectorState:
    d = runtime.context
    with d.tracer.span("rerank") as span:
        candidates = state["candidates"]
        options = "\n".join(f"{n}. {c.entry.name}: {c.entry.description}"
                            for n, c in enumerate(candidates, start=1))
        gold = state.get("gold_solution", "").strip()
        prompt = RERANK_PROMPT.format(problem=state.get("problem", "").strip() or "(not given)",
                                      gold=f"Correct solution:\n{gold}\n" if gold else "",
                                      work=state["student_work"].strip(), options=options)
        messages: list[ChatMessage] = [{"role": "system", "content": RERANK_SYSTEM},
                                       {"role": "user", "content": prompt}]
        try:
            reply = chat_json(d.llm, messages, rerank_model(len(candidates)),
                              max_tokens=d.max_tokens, temperature=0.0)
        except LLMError as exc:  # recorded by the tracer; `rank` falls back as for a bad reply
            span.attributes["error"] = str(exc)
            return {"picks": None}
        if reply.value is None:  # reported, never guessed at: `rank` falls back
            span.attributes["error"] = reply.error
            return {"picks": None}
        picks = picks_of(reply.value)
        span.attributes["picks"] = picks
        return {"picks": picks}


def rank(state: DetectorState, runtime: Ctx) -> DetectorState:
    d = runtime.context
    with d.tracer.span("rank") as span:
        detections = fuse(state, method=d.method, min_similarity=d.min_similarity, index=d.index)
        span.attributes["detections"] = [(found.key, found.score) for found in detections]
        return {"detections": detections}


def _after_check(state: DetectorState) -> str:
    return END if state["rejected"] else "retrieve"


def _after_retrieve(state: DetectorState, runtime: Ctx) -> str:
    return "rank" if runtime.context.method == "retrieval" else "rerank"


def build_misconception_graph():
    """Wire `check → retrieve → [rerank →] rank`; run it with `context=DetectorDeps(...)`. The
    `retrieval` method skips the rerank; every node is a traced span, every LLM call recorded."""
    graph = StateGraph(DetectorState, context_schema=DetectorDeps)
    for node in (check, retrieve, rerank, rank):
        graph.add_node(node.__name__, node)
    graph.add_edge(START, "check")
    graph.add_conditional_edges("check", _after_check, [END, "retrieve"])
    graph.add_conditional_edges("retrieve", _after_retrieve, ["rerank", "rank"])
    graph.add_edge("rerank", "rank")
    graph.add_edge("rank", END)
    return graph.compile()


@cache
def misconception_graph():
    """The detector graph, compiled once per process."""
    return build_misconception_graph()


def fuse(state: DetectorState, *, method: Method, min_similarity: float,
         index: CatalogueIndex) -> list[Detection]:
    """Order the candidates: the LLM's picks first (fused with similarity), then the rest.

    score = similarity for `retrieval`; 1/(1+position) among the picks for `llm`;
    ½·similarity + ½/(1+position) for `full`, where unpicked candidates get ½·similarity.
    An LLM that answers "none" gives none; an unreadable reply falls back to retrieval order
    in `full` and gives none in `llm`.
    """
    candidates = state["candidates"]
    picks = state.get("picks")
    if method == "retrieval" or (method == "full" and picks is None):
        if candidates and candidates[0].similarity < min_similarity:
            return []
        ranked = [(c, c.similarity, "") for c in candidates]
    elif not picks:
        return []
    else:
        position = {number - 1: (pos, quote) for pos, (number, quote) in enumerate(picks)}
        ranked = []
        for i, c in enumerate(candidates):
            pos, quote = position.get(i, (None, ""))
            vote = 1.0 / (1 + pos) if pos is not None else 0.0
            if method == "llm" and pos is None:
                continue
            score = vote if method == "llm" else 0.5 * c.similarity + 0.5 * vote
            ranked.append((c, score, quote))
        ranked.sort(key=lambda r: -r[1])
    evidence = Evidence(state["student_work"], index)
    return [Detection(key=c.entry.key, name=c.entry.name, description=c.entry.description,
                      score=round(score, 4), evidence=evidence.for_entry(c.entry, quote))
            for c, score, quote in ranked]


class Evidence:
    """The LLM's quote where it really occurs in the work, else the work's closest sentence."""

    def __init__(self, work: str, index: CatalogueIndex) -> None:
        self.work, self.index = work, index
        self.segments = [s.strip() for s in SEGMENT_SPLIT.split(work) if s.strip()]
        self._vectors: np.ndarray | None = None

    def for_entry(self, entry: CatalogueEntry, quote: str = "") -> str:
        """Evidence for one entry, at most 300 characters."""
        if quote_in_work(quote, self.work):
            return quote.strip()[:300]
        if len(self.segments) <= 1:
            return self.work.strip()[:300]
        if self._vectors is None:
            self._vectors = self.index.embedder.embed(self.segments)
        entry_vector = self.index.vectors[self.index.entries.index(entry)]
        return self.segments[int(np.argmax(self._vectors @ entry_vector))][:300]


class GraphMisconceptionDetector:
    """The `MisconceptionDetector` the tutor calls, over a catalogue index and an LLM."""

    def __init__(self, index: CatalogueIndex, llm: LLM | None, *, method: Method = "full",
                 k: int = 5, min_similarity: float = 0.0) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        if method != "retrieval" and llm is None:
            raise ValueError(f"method {method!r} needs an LLM")
        self.index, self.llm, self.method = index, llm, method
        self.k, self.min_similarity = k, min_similarity

    def detect(self, problem: str, gold_solution: str, student_work: str, *,
               tracer: Tracer | None = None) -> list[Detection]:
        """Ranked detections, best first; an empty list means none."""
        tracer = tracer or Tracer()
        deps = DetectorDeps(self.index, TracedLLM(self.llm, tracer) if self.llm is not None else None,
                            tracer, self.method, self.k, min_similarity=self.min_similarity)
        with tracer.span("detect_misconceptions", method=self.method):
            state = misconception_graph().invoke(
                {"problem": problem or "", "gold_solution": gold_solution or "",
                 "student_work": student_work or ""}, context=deps)
        return state["detections"]
