"""Every format, as JSONL and as Parquet, loads with `datasets` and has the fields its trainer reads."""

from __future__ import annotations

import pytest

from apps.exports.filters import ExportFilters
from apps.exports.pipeline import ExportError, write_dataset
from apps.exports.privacy import Privacy
from apps.exports.records import Conversation, Message
from tests.exports.conftest import conversation, feedback, load, meta, pair, steps

FILE_TYPES = ["jsonl", "parquet"]
ALL = ExportFilters(validation_fraction=0.3)


def is_chat(value) -> bool:
    """TRL's conversational check: a list of {role, content} dicts with known roles."""
    return (isinstance(value, list) and value
            and all(set(m) == {"role", "content"} and m["role"] in {"system", "user", "assistant"}
                    and isinstance(m["content"], str) for m in value))


def export(records, fmt, file_type, tmp_path, hf_cache):
    out = tmp_path / f"{fmt}-{file_type}"
    manifest = write_dataset(records, format_name=fmt, file_type=file_type, out_dir=out,
                             filters=ALL, privacy=Privacy())
    data = load(manifest, out, hf_cache)
    assert set(data) == {"train", "validation"}
    assert sum(len(split) for split in data.values()) == len(records)
    return data["train"][0], data["train"].column_names


@pytest.mark.parametrize("file_type", FILE_TYPES)
def test_sft_rows_are_conversations_ending_with_the_assistant(tmp_path, hf_cache, file_type):
    row, columns = export([conversation(i) for i in range(40)], "sft", file_type, tmp_path, hf_cache)
    assert "messages" in columns and is_chat(row["messages"])
    assert row["messages"][-1] == {"role": "assistant", "content": "Well done."}


@pytest.mark.parametrize("file_type", FILE_TYPES)
def test_dpo_rows_have_prompt_chosen_rejected(tmp_path, hf_cache, file_type):
    row, columns = export([pair(i) for i in range(40)], "dpo", file_type, tmp_path, hf_cache)
    assert {"prompt", "chosen", "rejected"} <= set(columns)
    assert is_chat(row["prompt"]) and is_chat(row["chosen"]) and is_chat(row["rejected"])
    assert row["chosen"] == [{"role": "assistant", "content": "What did you multiply?"}]
    assert row["rejected"] == [{"role": "assistant", "content": "The answer is 18."}]


@pytest.mark.parametrize("file_type", FILE_TYPES)
def test_kto_rows_have_prompt_completion_and_a_bool_label(tmp_path, hf_cache, file_type):
    records = [feedback(i, good=i % 2 == 0) for i in range(40)]
    out = tmp_path / "kto"
    manifest = write_dataset(records, format_name="kto", file_type=file_type, out_dir=out,
                             filters=ALL, privacy=Privacy())
    data = load(manifest, out, hf_cache)
    labels = [label for split in data.values() for label in split["label"]]
    assert {type(label) for label in labels} == {bool} and sorted(set(labels)) == [False, True]
    row = data["train"][0]
    assert is_chat(row["prompt"]) and is_chat(row["completion"])


@pytest.mark.parametrize("file_type", FILE_TYPES)
def test_prm_maps_plus_one_to_true_and_neutral_and_minus_one_to_false(tmp_path, hf_cache, file_type):
    row, columns = export([steps(i, labels=(1, 1, 0, -1)) for i in range(40)], "prm", file_type,
                          tmp_path, hf_cache)
    assert {"prompt", "completions", "labels"} <= set(columns)
    assert isinstance(row["prompt"], str)
    assert row["completions"] == ["step 0", "step 1", "step 2", "step 3"]
    assert row["labels"] == [True, True, False, False]


@pytest.mark.parametrize("file_type", ["jsonl"])  # OpenAI takes JSONL only
def test_openai_chat_rows_hold_only_messages(tmp_path, hf_cache, file_type):
    row, columns = export([conversation(i) for i in range(40)], "openai_chat", file_type, tmp_path,
                          hf_cache)
    assert columns == ["messages"] and is_chat(row["messages"])


@pytest.mark.parametrize("file_type", ["jsonl"])
def test_openai_preference_rows_follow_the_preference_fine_tuning_layout(tmp_path, hf_cache, file_type):
    row, columns = export([pair(i) for i in range(40)], "openai_preference", file_type, tmp_path,
                          hf_cache)
    assert columns == ["input", "preferred_output", "non_preferred_output"]
    assert is_chat(row["input"]["messages"])
    assert row["preferred_output"] == [{"role": "assistant", "content": "What did you multiply?"}]


def test_conversation_without_an_assistant_reply_is_counted_unusable(tmp_path):
    silent = Conversation(meta(1), (Message("system", "s"), Message("user", "hello?")))
    manifest = write_dataset([silent, conversation(2)], format_name="sft", file_type="jsonl",
                             out_dir=tmp_path / "out", filters=ExportFilters(validation_fraction=0),
                             privacy=Privacy())
    assert manifest["counts"]["unusable"] == 1 and manifest["counts"]["train"] == 1


def test_a_format_fed_the_wrong_record_type_fails_with_a_clear_message(tmp_path):
    with pytest.raises(ExportError, match="format dpo reads PreferencePair records"):
        write_dataset([conversation(1)], format_name="dpo", file_type="jsonl",
                      out_dir=tmp_path / "out", filters=ALL, privacy=Privacy())
    assert list(tmp_path.iterdir()) == []
