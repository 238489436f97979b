"""The misconception detector graph from plain Python: real embeddings, scripted LLM."""

import pytest

from agents.embeddings import default_embedder
from agents.graphs.misconception import (
    CatalogueEntry,
    CatalogueIndex,
    GraphMisconceptionDetector,
    looks_like_maths,
    picks_of,
    rerank_model,
)
from agents.llm import ScriptedEngine
from agents.tracing import Tracer

CATALOGUE = [
    CatalogueEntry("add-denominators", "Adds denominators",
                   "Adds fractions by adding the numerators and adding the denominators.",
                   "fractions", "1/2 + 1/3 = 2/5"),
    CatalogueEntry("forgot-negative", "Forgot the negative sign",
                   "Drops the minus sign when moving or simplifying a term.",
                   "linear equations", "-10y = 4 becomes 10y = 4"),
    CatalogueEntry("percent-of-wrong-base", "Percent of the wrong amount",
                   "Takes a percentage of the new amount instead of the original amount.",
                   "percentages", "price after 20% off is 80, so the original was 80 + 16 = 96"),
]
PROBLEM = "What is 1/4 + 2/4?"
WORK = "I added the tops and the bottoms.\n1/4 + 2/4 = 3/8"


@pytest.fixture(scope="module")
def index():
    return CatalogueIndex(CATALOGUE, default_embedder())


def detector(index, replies, method="full", k=2):
    engine = ScriptedEngine(replies)
    return GraphMisconceptionDetector(index, engine, method=method, k=k), engine


def test_retrieval_puts_the_nearest_entry_first_without_calling_the_llm(index):
    found, engine = detector(index, ["unused"], method="retrieval", k=3)
    detections = found.detect(PROBLEM, "", WORK)
    assert [d.key for d in detections][0] == "add-denominators"
    assert len(detections) == 3 and detections[0].score >= detections[1].score >= detections[2].score
    assert engine.calls == []


def test_full_reranks_by_the_llm_and_keeps_its_quote_as_evidence(index):
    found, engine = detector(index, ['{"picks": [{"option": 2, "quote": "1/4 + 2/4 = 3/8"}]}'], k=2)
    tracer = Tracer()
    detections = found.detect(PROBLEM, "1/4 + 2/4 = 3/4", WORK, tracer=tracer)
    prompt = engine.calls[0].messages[1]["content"]
    # retrieval put add-denominators at option 1; the LLM preferred option 2
    assert "1. Adds denominators" in prompt and "Correct solution:\n1/4 + 2/4 = 3/4" in prompt
    assert detections[0].key != "add-denominators"
    assert detections[0].evidence == "1/4 + 2/4 = 3/8"
    assert detections[1].key == "add-denominators" and detections[1].evidence
    assert [s.name for s in tracer.spans] == ["detect_misconceptions", "check", "retrieve",
                                              "rerank", "rank"]
    assert tracer.calls == engine.calls
    schema = engine.calls[0].params["json_schema"]  # asked for JSON under a schema
    assert "picks" in schema["properties"]


def test_a_quote_that_is_not_in_the_work_is_replaced_by_the_works_closest_line(index):
    found, _ = detector(index, ['{"picks": [{"option": 1, "quote": "the student multiplied"}]}'])
    detections = found.detect(PROBLEM, "", WORK)
    assert detections[0].key == "add-denominators"
    assert detections[0].evidence in WORK.splitlines()


def test_the_llm_saying_none_gives_none(index):
    found, _ = detector(index, ['{"picks": []}'])
    assert found.detect(PROBLEM, "", WORK) == []


@pytest.mark.parametrize("reply", ["I am not sure what you mean.", '2: "3/8"',
                                   '{"picks": [{"option": 7}]}', ScriptedEngine.FAIL])
def test_an_invalid_reply_or_an_engine_failure_falls_back_to_retrieval_in_full(index, reply):
    found, _ = detector(index, [reply])
    tracer = Tracer()
    detections = found.detect(PROBLEM, "", WORK, tracer=tracer)
    assert detections[0].key == "add-denominators"
    assert "error" in tracer.spans[3].attributes  # reported, never guessed at
    if reply == ScriptedEngine.FAIL:
        assert tracer.calls[0].error


def test_llm_only_shows_the_whole_catalogue_and_gives_none_when_unreadable(index):
    found, engine = detector(index, ['{"picks": [{"option": 3, "quote": "80 + 16"}]}', "no idea"],
                             method="llm", k=1)
    detections = found.detect("A price after 20% off is 80. What was it before?", "", "80 + 16 = 96")
    prompt = engine.calls[0].messages[1]["content"]
    assert all(f"{n}. {e.name}" in prompt for n, e in enumerate(CATALOGUE, start=1))
    assert [d.key for d in detections] == ["percent-of-wrong-base"]
    assert detections[0].score == 1.0 and detections[0].evidence == "80 + 16"
    assert found.detect(PROBLEM, "", WORK) == []


@pytest.mark.parametrize("work", ["", "   \n ", "I really like turtles and my cat."])
def test_empty_or_non_maths_work_gives_none_without_calling_the_llm(index, work):
    found, engine = detector(index, ["1"])
    assert found.detect(PROBLEM, "", work) == []
    assert engine.calls == []


def test_an_empty_catalogue_gives_none(index):
    empty = CatalogueIndex([], default_embedder())
    found = GraphMisconceptionDetector(empty, ScriptedEngine(["1"]))
    assert found.detect(PROBLEM, "", WORK) == []


def test_unknown_method_duplicate_keys_and_missing_llm_are_refused(index):
    with pytest.raises(ValueError, match="unknown method"):
        GraphMisconceptionDetector(index, ScriptedEngine(), method="magic").detect("p", "", "1+1=3")
    with pytest.raises(ValueError, match="needs an LLM"):
        GraphMisconceptionDetector(index, None, method="full").detect("p", "", "1+1=3")
    with pytest.raises(ValueError, match="unique"):
        CatalogueIndex([CATALOGUE[0], CATALOGUE[0]], default_embedder())


def test_picks_keep_the_engines_order_and_drop_repeats():
    reply = rerank_model(3).model_validate({"picks": [{"option": 2, "quote": " 3/8 "},
                                                      {"option": 1}, {"option": 2}]})
    assert picks_of(reply) == [(2, "3/8"), (1, "")]
    with pytest.raises(ValueError):
        rerank_model(3).model_validate({"picks": [{"option": 4}]})


def test_looks_like_maths():
    assert looks_like_maths("3 + 4 = 8") and looks_like_maths("I added the halves")
    assert not looks_like_maths("hello there, how are you?")
