"""The privacy rule on records built in memory: scrubbing, pseudonyms, opted-out learners."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from apps.exports.filters import ExportFilters
from apps.exports.names import Person, fold
from apps.exports.pipeline import write_dataset
from apps.exports.privacy import Privacy
from tests.exports.conftest import conversation, pair

WORD = re.compile(r"\w+")


def people(*usernames: str) -> tuple[Person, ...]:
    return tuple(Person(username=name) for name in usernames)


def rows(directory):
    return [json.loads(line) for path in sorted(directory.glob("*.jsonl")) for line in path.open()]


def test_names_and_emails_are_scrubbed_whole_words_any_case():
    privacy = Privacy(people=(Person("Alice", "Smith", "jdoe42"), *people("Al", "teacher")))
    text = "alice's friend ALICE SMITH (jdoe42, mail j.doe+x@school.example.org) met the teacher Alicent."
    assert privacy.scrub(text) == ("[name]'s friend [name] [name] ([name], mail [email]) met the "
                                   "teacher Alicent.")


def test_short_names_role_words_and_numbers_are_not_names():
    privacy = Privacy(people=people("Al", "teacher", "student", "2024", "Bo Li"))
    text = "Al, the teacher and the student met Bo Li in 2024."
    assert privacy.scrub(text) == text


def test_pseudonyms_are_stable_within_an_export_and_differ_across_exports():
    first, second = Privacy(), Privacy()
    assert first.pseudonym("learner", 7) == first.pseudonym("learner", 7)
    assert first.pseudonym("learner", 7) != first.pseudonym("learner", 8)
    assert first.pseudonym("learner", 7) != second.pseudonym("learner", 7)
    assert first.pseudonym("learner", None) == ""


def test_exported_rows_carry_pseudonyms_never_raw_ids(tmp_path):
    records = [conversation(100 + i, learner=i % 2 + 41) for i in range(6)]
    write_dataset(records, format_name="sft", file_type="jsonl", out_dir=tmp_path / "a",
                  filters=ExportFilters(validation_fraction=0), privacy=Privacy())
    write_dataset(records, format_name="sft", file_type="jsonl", out_dir=tmp_path / "b",
                  filters=ExportFilters(validation_fraction=0), privacy=Privacy())
    first, second = rows(tmp_path / "a"), rows(tmp_path / "b")
    assert len({r["learner"] for r in first}) == 2  # two learners, each always the same pseudonym
    assert {r["learner"] for r in first}.isdisjoint({r["learner"] for r in second})
    ids = {r["learner"] for r in first} | {r["conversation"] for r in first}
    assert all(i.startswith(("l-", "c-")) and len(i) == 18 for i in ids)
    raw = (tmp_path / "a" / "train.jsonl").read_text()
    assert '"41"' not in raw and '"100"' not in raw


def test_opted_out_learners_never_appear_in_any_format(tmp_path):
    privacy = Privacy(people=people("mallory"), opted_out=frozenset({66}))
    records = [conversation(i, learner=66 if i % 3 == 0 else 5, text=f"mallory here, try {i}")
               for i in range(30)]
    manifest = write_dataset(records, format_name="sft", file_type="jsonl", out_dir=tmp_path / "sft",
                             filters=ExportFilters(validation_fraction=0.2), privacy=privacy)
    assert manifest["counts"]["excluded_opted_out"] == 10
    exported = rows(tmp_path / "sft")
    assert len(exported) == 20
    assert {r["learner"] for r in exported} == {privacy.pseudonym("learner", 5)}
    text = json.dumps(exported)
    assert "try 0" not in text and "try 3" not in text and "mallory" not in text
    pairs = [pair(i, learner=66) for i in range(5)]
    manifest = write_dataset(pairs, format_name="dpo", file_type="parquet", out_dir=tmp_path / "dpo",
                             filters=ExportFilters(), privacy=privacy)
    assert manifest["counts"]["excluded_opted_out"] == 5 and manifest["files"] == []


NAMES = ["alice", "Zoë", "o'brien", "jdoe42", "mary_ann"]
NAME_WORDS = {"alice", "zoe", "brien", "obrien", "jdoe42", "jdoe", "mary", "ann", "maryann"}
WORDS = st.sampled_from([*NAMES, "ALICE", "ZOË", "Brien", "apples", "19", "e-mail", "Ali", "mary"])
TEXTS = st.lists(st.tuples(WORDS, st.sampled_from([" ", ", ", "'s ", "-", "\n", "(", "! ", "é "])),
                 max_size=12).map(lambda parts: "".join(w + sep for w, sep in parts))


@given(TEXTS)
def test_no_name_survives_scrubbing_whatever_the_case_or_punctuation(text):
    privacy = Privacy(people=people(*NAMES))
    scrubbed = privacy.scrub(text)
    assert NAME_WORDS.isdisjoint(fold(w) for w in WORD.findall(scrubbed))
    kept = [w for w in WORD.findall(scrubbed) if w != "name"]
    assert all(fold(w) not in NAME_WORDS for w in kept)
    assert "apples" in scrubbed or "apples" not in text
