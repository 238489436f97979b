"""Labels and retries become preference records, and those records export as DPO and KTO."""

from __future__ import annotations

import pytest

from apps.exports.filters import ExportFilters
from apps.exports.pipeline import write_dataset
from apps.exports.preferences import feedback_from_rating, pair_from_pairwise_label, pairs_from_retries
from apps.exports.privacy import Privacy
from apps.exports.records import Message
from tests.exports.conftest import load, meta

PROMPT = (Message("user", "I got 17."),)


def test_pairwise_label_orders_the_pair_and_a_tie_makes_none():
    a = pair_from_pairwise_label(meta(1), PROMPT, "ask", "tell", "a")
    b = pair_from_pairwise_label(meta(1), PROMPT, "ask", "tell", "b")
    assert (a.chosen, a.rejected) == ("ask", "tell") and (b.chosen, b.rejected) == ("tell", "ask")
    assert pair_from_pairwise_label(meta(1), PROMPT, "ask", "tell", "tie") is None
    with pytest.raises(ValueError, match="preferred must be"):
        pair_from_pairwise_label(meta(1), PROMPT, "ask", "tell", "A")


def test_each_failed_attempt_before_the_first_success_pairs_with_it():
    prompts = [(Message("user", f"attempt {i}"),) for i in range(5)]
    pairs = list(pairs_from_retries(meta(1), prompts, [("17", False), ("16", False), ("18", True),
                                                       ("19", False), ("18.0", True)]))
    assert [(p.chosen, p.rejected) for p in pairs] == [("18", "17"), ("18", "16")]
    assert {p.prompt for p in pairs} == {prompts[2]}  # the context the chosen attempt was written in
    assert list(pairs_from_retries(meta(1), prompts, [("17", False), ("16", False)])) == []
    assert list(pairs_from_retries(meta(1), prompts, [("18", True)])) == []


def test_feedback_from_thumbs_or_rating_threshold():
    assert feedback_from_rating(meta(1), PROMPT, "ask", thumbs_up=False).good is False
    assert feedback_from_rating(meta(1), PROMPT, "ask", rating=4, good_from=4).good is True
    assert feedback_from_rating(meta(1), PROMPT, "ask", rating=3, good_from=4).good is False
    assert feedback_from_rating(meta(1), PROMPT, "ask", rating=3) is None


def test_retry_pairs_and_ratings_export_and_load_for_dpo_and_kto(tmp_path, hf_cache):
    pairs = [p for i in range(30) for p in pairs_from_retries(
        meta(i), [PROMPT, PROMPT], [(f"wrong {i}", False), (f"right {i}", True)])]
    manifest = write_dataset(pairs, format_name="dpo", file_type="parquet", out_dir=tmp_path / "dpo",
                             filters=ExportFilters(validation_fraction=0), privacy=Privacy())
    row = load(manifest, tmp_path / "dpo", hf_cache)["train"][0]
    assert row["chosen"][0]["content"].startswith("right") and row["rejected"][0]["content"].startswith(
        "wrong")
    votes = [feedback_from_rating(meta(i), PROMPT, f"reply {i}", rating=i % 5, good_from=3)
             for i in range(30)]
    manifest = write_dataset(votes, format_name="kto", file_type="jsonl", out_dir=tmp_path / "kto",
                             filters=ExportFilters(validation_fraction=0), privacy=Privacy())
    labels = load(manifest, tmp_path / "kto", hf_cache)["train"]["label"]
    assert labels.count(True) == 12 and labels.count(False) == 18
