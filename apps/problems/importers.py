"""Importers for public problem sets: validate the whole file first, then write it at once.

GSM8K and MathDial files are read by `agents.datasets` (the one parser the evaluator and the lab
use); its `DatasetError` reaches callers as `ImportFileError`, like every other import error.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction
from sklearn.cluster import KMeans

from agents import datasets
from agents.datasets import DatasetError
from agents.embeddings import default_embedder
from agents.eval.misconception_eval import COGTUTOR_KEY_PREFIX, cogtutor_work
from agents.graphs.misconception import Embedder
from agents.math.values import final_value, format_number
from apps.problems.models import Misconception, Problem, StudentSolution

COGTUTOR_SOURCE = "CogTutorBugs (McNichols, Zhang & Lan 2023; Cog Tutor 2010 Equation Solving)"
CATALOGUE_FIELDS = ("key", "name", "description", "source", "licence")
BLANK = re.compile(r"(?<![.!?]) (?=[ ,.?])")  # where the feedback's <expression> was removed


class ImportFileError(ValueError):
    """A file that cannot be imported; the message names the line."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    existing: int


def read_text(path: Path) -> str:
    """A data file's text. The error says what is wrong, not where: callers name the file once."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ImportFileError("cannot read file: there is no such file") from exc
    except IsADirectoryError as exc:
        raise ImportFileError("cannot read file: it is a folder") from exc
    except OSError as exc:
        raise ImportFileError(f"cannot read file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError("cannot read file: it is not UTF-8 text") from exc


def read_jsonl(path: Path, required: Iterable[str]) -> list[tuple[int, dict]]:
    """Parse every line of a JSONL file, failing on the first bad one with its line number."""
    rows = []
    text = read_text(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"line {number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise ImportFileError(f"line {number}: expected a JSON object")
        for key in required:
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise ImportFileError(f"line {number}: `{key}` is missing or empty")
        rows.append((number, row))
    if not rows:
        raise ImportFileError("no records found")
    return rows


def read_dataset(load, path: Path, **kwargs) -> list:
    """A GSM8K or MathDial file read by `agents.datasets`; its errors as ImportFileError, without
    the path (callers name the file once)."""
    try:
        return load(path, **kwargs)
    except DatasetError as exc:
        raise ImportFileError(exc.reason) from exc


def import_gsm8k(path: Path, *, source: str = "gsm8k", limit: int | None = None) -> ImportResult:
    """Import GSM8K (`question`, `answer` ending in `#### N`); idempotent, all or nothing."""
    problems = [Problem(statement=item.question, gold_answer=item.gold, solution=item.answer,
                        source=source, source_key=_key(item.question))
                for item in read_dataset(datasets.load_gsm8k, path)[:limit]]
    return _save(problems)


def _key(statement: str) -> str:
    return hashlib.sha256(statement.strip().encode()).hexdigest()[:32]


@transaction.atomic
def _save(problems: list[Problem]) -> ImportResult:
    before = Problem.objects.count()
    Problem.objects.bulk_create(problems, ignore_conflicts=True, batch_size=500)
    created = Problem.objects.count() - before
    return ImportResult(created=created, existing=len(problems) - created)


def mathdial_records(item: datasets.MathDialItem) -> tuple[Problem, StudentSolution]:
    """The problem and the incorrect solution one MathDial item describes (unsaved)."""
    problem = Problem(statement=item.question.strip(), gold_answer=format_number(final_value(
        item.ground_truth)), solution=item.ground_truth, source="mathdial",
        source_key=str(item.qid))
    key = hashlib.sha256(f"{item.qid}\n{item.incorrect_solution}".encode()).hexdigest()[:32]
    solution = StudentSolution(text=item.incorrect_solution, profile=item.profile,
                               source="mathdial", source_key=key)
    return problem, solution


@transaction.atomic
def save_mathdial_item(item: datasets.MathDialItem) -> tuple[Problem, StudentSolution]:
    """Get or create one item's problem and incorrect solution (idempotent)."""
    problem, solution = mathdial_records(item)
    problem, _ = Problem.objects.get_or_create(
        source=problem.source, source_key=problem.source_key,
        defaults={"statement": problem.statement, "gold_answer": problem.gold_answer,
                  "solution": problem.solution})
    solution, _ = StudentSolution.objects.get_or_create(
        source=solution.source, source_key=solution.source_key,
        defaults={"problem": problem, "text": solution.text, "profile": solution.profile})
    return problem, solution


def import_mathdial(path: Path, *, limit: int | None = None) -> ImportResult:
    """Import MathDial dialogues as problems (one per qid) with their incorrect student
    solutions and personas; idempotent, all or nothing, errors name the line."""
    items = read_dataset(datasets.load_mathdial, path)[:limit]
    keys = {mathdial_records(item)[1].source_key for item in items}
    existing = StudentSolution.objects.filter(source="mathdial", source_key__in=keys).count()
    with transaction.atomic():
        for item in items:
            save_mathdial_item(item)
    return ImportResult(created=len(keys) - existing, existing=existing)
def import_cogtutor_categories(path: Path) -> ImportResult:
    """Import CogTutorBugs `categories.json` (one bug category an entry) into the catalogue."""
    try:
        categories = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"line {exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(categories, list) or not categories:
        raise ImportFileError("expected a non-empty JSON array of categories (CogTutorBugs categories.json)")
    entries = []
    for number, category in enumerate(categories, start=1):
        where = f"entry {number}"
        if not isinstance(category, dict):
            raise ImportFileError(f"{where}: expected a JSON object")
        if not isinstance(category.get("name"), str) or not category["name"].strip():
            raise ImportFileError(f"{where}: `name` is missing or empty")
        templates = category.get("feedback_templates")
        if not isinstance(templates, list) or not templates or not all(
                isinstance(t, str) and t.strip() for t in templates):
            raise ImportFileError(f"{where}: `feedback_templates` must be a non-empty list of strings")
        example = category.get("example")
        if not isinstance(example, dict) or not all(
                isinstance(example.get(f), str) for f in ("eq1", "action", "Input", "eq2")):
            raise ImportFileError(f"{where}: `example` needs string fields eq1, action, Input, eq2")
        name = category["name"].strip()
        entries.append(Misconception(
            key=COGTUTOR_KEY_PREFIX + name, name=name.replace("_", " ").capitalize(),
            description="Tutor feedback: " + " ".join(BLANK.sub(" …", templates[0]).split()),
            skill="linear equations", example_wrong_work=cogtutor_work(example),
            source=f"{COGTUTOR_SOURCE}, label {category.get('label', '?')}", licence="CC BY 4.0"))
    return _save_catalogue(entries)


def import_misconception_jsonl(path: Path) -> ImportResult:
    """Import a catalogue written by people: one JSON object a line with key, name, description,
    source, licence and optional skill, example_wrong_work."""
    entries = []
    for number, row in read_jsonl(path, required=CATALOGUE_FIELDS):
        for optional in ("skill", "example_wrong_work"):
            if not isinstance(row.get(optional, ""), str):
                raise ImportFileError(f"line {number}: `{optional}` must be text")
        unknown = set(row) - set(CATALOGUE_FIELDS) - {"skill", "example_wrong_work"}
        if unknown:
            raise ImportFileError(f"line {number}: unknown field(s) {', '.join(sorted(unknown))}")
        entries.append(Misconception(**{k: v.strip() for k, v in row.items()}))
    return _save_catalogue(entries)


def import_mathdial_confusions(path: Path, *, clusters: int = 12,
                               embedder: Embedder | None = None) -> ImportResult:
    """Cluster MathDial's free-text `teacher_described_confusion` into catalogue entries.

    The descriptions are one-off sentences about one problem each, so they are embedded and
    grouped with k-means; an entry is named by the description nearest its cluster's centre,
    describes itself with the three nearest, and shows that dialogue's incorrect solution.
    Dialogues without a description are skipped.
    """
    rows = read_dataset(datasets.read_jsonl, path, required=("question", "student_incorrect_solution"))
    described = []
    for number, row in rows:
        if "teacher_described_confusion" not in row:
            raise ImportFileError(f"line {number}: `teacher_described_confusion` is missing")
        text = row["teacher_described_confusion"]
        if text is not None and not isinstance(text, str):
            raise ImportFileError(f"line {number}: `teacher_described_confusion` must be text")
        if text and text.strip():
            described.append((text.strip(), row))
    if len(described) < clusters:
        raise ImportFileError(f"{len(described)} described confusions cannot make {clusters} clusters")
    vectors = (embedder or default_embedder()).embed([text for text, _ in described])
    labels = KMeans(n_clusters=clusters, n_init=10, random_state=0).fit_predict(vectors)
    groups = sorted(range(clusters), key=lambda c: (-int(np.sum(labels == c)), c))
    entries = []
    for rank, cluster in enumerate(groups, start=1):
        members = np.flatnonzero(labels == cluster)
        centre = vectors[members].mean(axis=0)
        nearest = members[np.argsort(-(vectors[members] @ centre), kind="stable")]
        texts = [described[i][0] for i in nearest[:3]]
        name = texts[0][:1].upper() + texts[0][1:]
        entries.append(Misconception(
            key=f"mathdial:confusion-{rank:02d}", name=name[:200],
            description=(f"{len(members)} MathDial teachers described a confusion like: "
                         + "; ".join(f"“{t}”" for t in texts)),
            skill="word problems",
            example_wrong_work=described[nearest[0]][1]["student_incorrect_solution"].strip()[:2000],
            source=(f"MathDial dev (Macina et al., 2023): teacher_described_confusion, cluster {rank} "
                    f"of {clusters} (k-means on all-MiniLM-L6-v2 embeddings)"),
            licence="CC BY-SA 4.0"))
    return _save_catalogue(entries)


@transaction.atomic
def _save_catalogue(entries: list[Misconception]) -> ImportResult:
    keys = [e.key for e in entries]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ImportFileError(f"duplicate key(s) in the file: {', '.join(duplicates)}")
    for entry in entries:
        entry.full_clean(exclude=["key"])
    existing = set(Misconception.objects.filter(key__in=keys).values_list("key", flat=True))
    fields = ["name", "description", "skill", "example_wrong_work", "source", "licence"]
    for entry in entries:
        Misconception.objects.update_or_create(
            key=entry.key, defaults={f: getattr(entry, f) for f in fields})
    return ImportResult(created=len(entries) - len(existing), existing=len(existing))
