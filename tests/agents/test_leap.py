"""LeaP: routing, the peer block, the vote, a scripted run against its baseline, the metrics."""

from __future__ import annotations

import pytest

from agents.eval.leap_metrics import (
    AnswerChanges,
    accuracy,
    answer_changes,
    pass_at_1,
    recovery_rate,
)
from agents.graphs.leap import (
    FORCE,
    OPENERS,
    REFLECT,
    LeapConfig,
    LeapPath,
    LeapResult,
    PeerBlock,
    Segment,
    close_chunk,
    cut_partial_sentence,
    fit_to_context,
    majority_vote,
    own_wrong_prefixes,
    peer_block,
    run_independent,
    run_leap,
)
from agents.graphs.routing import route_peers, similarity
from agents.llm import ScriptedEngine
from agents.tracing import Tracer

# pairwise similarities: 0-1 .75, 0-2 .25, 0-3 0, 1-2 .5, 1-3 .25, 2-3 .75
LADDER = {0: "aaaa", 1: "aaab", 2: "abbb", 3: "bbbb"}


def test_similarity_is_levenshtein_ratio_as_upstream_routes():
    # python-Levenshtein's own examples of `ratio` (the function LeaP's util.py calls)
    assert similarity("Hello world!", "Holly grail!") == pytest.approx(0.583333, abs=1e-6)
    assert similarity("Brian", "Jesus") == 0.0
    # InDel-based: a substitution costs 2 of |a| + |b|, so this is not 1 - lev / max (= 4/7)
    assert similarity("kitten", "sitting") == pytest.approx(1 - 5 / 13)
    assert similarity("", "") == 1.0
    assert similarity("abc", "") == 0.0


def test_ratio_and_one_minus_lev_over_max_route_differently():
    # 1 - lev/max: path 1 is 0.33 and path 2 is 0.5, so dispersed would pick path 1;
    # ratio: 0.667 and 0.6, so upstream (and we) pick path 2
    summaries = {0: "bbbaab", 1: "ababbb", 2: "abaa"}
    assert similarity("bbbaab", "ababbb") == pytest.approx(2 / 3)
    assert similarity("bbbaab", "abaa") == pytest.approx(0.6)
    assert route_peers(summaries, "dispersed", 1)[0] == [2]


def test_random_router_draws_k_other_running_paths_reproducibly():
    import random

    one = route_peers(LADDER, "random", 2, random.Random(3))
    assert one == route_peers(LADDER, "random", 2, random.Random(3))
    assert all(len(peers) == 2 and i not in peers for i, peers in one.items())


@pytest.mark.parametrize(("router", "expected"), [
    ("dispersed", {0: [3, 2], 1: [3, 2], 2: [0, 1], 3: [0, 1]}),
    ("clustered", {0: [1, 2], 1: [0, 2], 2: [3, 1], 3: [2, 1]}),
    ("hybrid", {0: [3, 1], 1: [3, 0], 2: [0, 3], 3: [0, 2]}),
])
def test_route_peers_picks_by_router(router, expected):
    assert route_peers(LADDER, router, 2) == expected


def test_route_peers_breaks_ties_by_lower_path_index():
    assert route_peers({4: "x", 2: "y", 7: "z"}, "dispersed", 1) == {2: [4], 4: [2], 7: [2]}


def test_route_peers_gives_a_lone_path_no_peers_and_caps_k_at_the_running_paths():
    assert route_peers({5: "only me"}, "dispersed", 2) == {5: []}
    assert route_peers({0: "a", 1: "b"}, "hybrid", 4) == {0: [1], 1: [0]}


def test_route_peers_rejects_an_unknown_router():
    with pytest.raises(ValueError, match="unknown router"):
        route_peers(LADDER, "nearest", 2)  # type: ignore[arg-type]


def test_peer_block_quotes_each_peer_and_asks_to_reflect():
    assert peer_block(["x = 5.", "x = 7."]) == (
        ' <comment> Peer 1: "x = 5."\nPeer 2: "x = 7." </comment>\n\n' + REFLECT)


def test_peer_block_for_a_lone_path_says_no_comments():
    assert peer_block([]) == (" <comment> No comments </comment>\n\n"
                              "Hmm, there are no comments, so let's continue reasoning.\n")


def test_close_chunk_finishes_on_a_complete_answer_line_and_drops_the_rest():
    assert close_chunk("2 + 2 = 4.\nFinal answer: 4\nProblem 2: ...", "length") == (
        "2 + 2 = 4.\nFinal answer: 4\n", True)
    assert close_chunk("Final answer: 4", "stop") == ("Final answer: 4", True)
    assert close_chunk("still working", "stop") == ("still working", True)


def test_close_chunk_keeps_going_on_an_answer_line_cut_by_the_token_limit():
    assert close_chunk("so the Final answer: 1", "length") == ("so the Final answer: 1", False)


def test_close_chunk_cuts_a_peer_block_the_path_invents_and_keeps_it_running():
    assert close_chunk('So 7.\n<comment>\nPeer 3: "12"', "stop") == ("So 7.\n", False)
    assert close_chunk("Final answer: 7 <summarize> x", "length") == ("Final answer: 7 ", True)


def test_cut_partial_sentence_drops_the_unfinished_tail():
    assert cut_partial_sentence("Step 1.\nStep 2.\nStep 3 is ha") == "Step 1.\nStep 2.\n"
    assert cut_partial_sentence("She has 8. Then she bu") == "She has 8."
    assert cut_partial_sentence("x = 3.5 and no break") == "x = 3.5 and no break"


def test_majority_vote_breaks_ties_by_the_lowest_path_index():
    assert majority_vote(["7", "5", None, "5", "7"]) == "7"
    assert majority_vote([None, "5", "7", "7"]) == "7"


def test_majority_vote_ignores_missing_answers_and_counts_equivalent_forms_together():
    assert majority_vote([None, "3", "0.5", "1/2"]) == "0.5"
    assert majority_vote([None, None]) is None
    assert majority_vote([]) is None


def test_config_rejects_an_unknown_router_and_too_many_prefixes():
    with pytest.raises(ValueError, match="unknown router"):
        LeapConfig(router="nearest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="3 prefixes for 2 paths"):
        run_leap(ScriptedEngine(), "1 + 1?", LeapConfig(n_paths=2), prefixes=["a", "b", "c"])


# --- a scripted run: path 0 starts from a wrong prefix and is put right by its peers ---------

PROBLEM = "Ann has 3 apples and gets 4 more, then 5 more. How many apples does she have?"
WRONG = "Wrong start: 3 + 4 = 8.\n"
CONFIG = LeapConfig(n_paths=3, every_tokens=8, top_k=1, max_rounds=3, summary_tokens=16,
                    answer_tokens=4)


def solver(prompt: str) -> str:
    """A scripted solver: path 0 (wrong prefix) fixes itself once a peer says the total is 12."""
    wrong = WRONG in prompt
    if prompt.endswith(FORCE):
        return " 8" if wrong else " 12"
    if prompt.endswith(OPENERS):
        return " the sum is 8.</summarize>" if wrong else " 3 + 4 = 7, the total is 12.</summarize>"
    if wrong and "the total is 12" in prompt:
        return "Slip fixed.\nFinal answer: 12\nmore"  # 6 tokens: stops within T
    return "We add the numbers.\nStill thinking about it all"  # 9 tokens: cut at T = 8


def run_scripted(run, **kwargs) -> tuple[LeapResult, ScriptedEngine, Tracer]:
    engine, tracer = ScriptedEngine(solver), Tracer()
    result = run(engine, PROBLEM, CONFIG, tracer=tracer, prefixes=[WRONG], **kwargs)
    return result, engine, tracer


def spans(tracer: Tracer, name: str):
    return [s for s in tracer.spans if s.name == name]


def test_leap_run_exchanges_summaries_until_the_round_limit_and_votes():
    result, engine, tracer = run_scripted(run_leap)
    fixed, first, second = result.paths

    assert (result.mode, result.rounds, result.answer) == ("leap", 3, "12")
    assert [p.answer for p in result.paths] == ["12", "12", "12"]
    assert fixed.prefixed and fixed.finished and len(fixed.answers_by_round) == 2
    assert fixed.text.endswith("Final answer: 12\n")  # what came after the answer line is gone
    assert len(first.answers_by_round) == len(second.answers_by_round) == 3
    assert result.total_tokens == sum(c.usage.completion_tokens for c in engine.calls)


def test_leap_run_inserts_peer_blocks_where_it_records_them():
    result, _, _ = run_scripted(run_leap)
    fixed, first, second = result.paths

    assert [(b.round, b.peers) for b in fixed.peer_blocks] == [(1, (1,))]
    assert [(b.round, b.peers) for b in first.peer_blocks] == [(1, (0,)), (2, (2,))]
    assert [(b.round, b.peers) for b in second.peer_blocks] == [(1, (0,)), (2, (1,))]
    for path in result.paths:
        assert path.text.startswith(path.segments[0].text)
        for block in path.peer_blocks:
            assert path.text[block.offset:].startswith(block.text)
    assert fixed.peer_blocks[0].text.startswith(' <comment> Peer 1: "3 + 4 = 7, the total is 12."')
    assert first.text.count("Still thinking") == 1  # partial lines are cut before each recap
    assert "<summarize>" in first.text and "</summarize>" in first.text


def test_leap_run_sends_peer_summaries_in_later_prompts():
    _, engine, _ = run_scripted(run_leap)
    prompts = [c.prompt or "" for c in engine.calls]

    # the first prompts hold only the tag instruction and the example summary, twice (user, preamble)
    assert all(p.count("</summarize>") == 3 and "Peer 1" not in p for p in prompts[:3])
    assert prompts[0].startswith("<|im_start|>user\n" + PROBLEM)
    assert "<|im_start|>assistant\nOkay, so I have this math problem." in prompts[0]
    fixing = [p for p in prompts if WRONG in p and p.endswith("</comment>\n\n" + REFLECT)]
    assert len(fixing) == 1 and 'Peer 1: "3 + 4 = 7, the total is 12."' in fixing[0]
    assert sum(p.endswith(OPENERS) for p in prompts) == 3 + 2  # finished paths do not recap
    assert sum(p.endswith(FORCE) for p in prompts) == 2


def test_leap_run_traces_rounds_summaries_and_who_heard_whom():
    _, engine, tracer = run_scripted(run_leap)

    (root,) = spans(tracer, "leap")
    assert root.attributes["answer"] == "12" and root.attributes["router"] == "dispersed"
    assert [s.attributes["round"] for s in spans(tracer, "leap.generate")] == [1, 2, 3]
    assert [s.attributes["alive"] for s in spans(tracer, "leap.generate")] == [
        [0, 1, 2], [0, 1, 2], [1, 2]]
    assert [s.attributes["heard"] for s in spans(tracer, "leap.route")] == [
        {0: [1], 1: [0], 2: [0]}, {1: [2], 2: [1]}]
    summaries = spans(tracer, "leap.summary")
    assert [(s.attributes["round"], s.attributes["path"]) for s in summaries] == [
        (1, 0), (1, 1), (1, 2), (2, 1), (2, 2)]
    assert summaries[0].attributes["summary"] == "the sum is 8."
    assert spans(tracer, "leap.vote")[0].attributes["answers"] == ["12", "12", "12"]
    assert len(tracer.calls) == len(engine.calls)  # every call lands in a span
    assert all(c.params["top_p"] == 0.95 and c.params["top_k"] == 40 and c.params["min_p"] == 0.05
               for c in engine.calls)  # sampling is passed explicitly, not left to the engine


def test_independent_baseline_has_the_same_budget_and_no_exchange():
    result, engine, tracer = run_scripted(run_independent)
    wrong, *_ = result.paths

    assert (result.mode, result.rounds, result.answer) == ("independent", 3, "12")
    assert wrong.answer == "8" and not wrong.peer_blocks
    assert not any("<summarize>" in (c.prompt or "") for c in engine.calls)
    assert not spans(tracer, "leap.route")
    cap = CONFIG.max_rounds * CONFIG.every_tokens + CONFIG.answer_tokens
    assert all(p.tokens <= cap for p in result.paths)
    assert len(engine.calls) == 3 * 3 + 3  # three rounds of three paths, three forced answers


def test_recovery_rate_counts_prefixed_paths_that_end_right():
    leap, _, _ = run_scripted(run_leap)
    baseline, _, _ = run_scripted(run_independent)

    assert recovery_rate([leap], ["12"]) == 1.0
    assert recovery_rate([baseline], ["12"]) == 0.0
    assert recovery_rate([baseline], ["12"], per="problem") == 1.0  # the vote still recovers
    assert recovery_rate([], []) is None
    assert accuracy([leap, baseline], ["12", "13"]) == 0.5


def test_pass_at_1_is_the_share_of_right_paths_beside_the_vote():
    leap, _, _ = run_scripted(run_leap)
    baseline, _, _ = run_scripted(run_independent)
    assert [p.answer for p in baseline.paths] == ["8", "12", "12"]
    assert pass_at_1([baseline], ["12"]) == pytest.approx(2 / 3)  # the vote is right: 12
    assert accuracy([baseline], ["12"]) == 1.0
    assert pass_at_1([leap, baseline], ["12", "12"]) == pytest.approx((1 + 2 / 3) / 2)
    assert pass_at_1([], []) == 0.0


def test_fit_to_context_shrinks_summaries_then_t_then_rounds_and_says_so():
    config = LeapConfig(n_paths=4, every_tokens=2048, top_k=2, max_rounds=5, summary_tokens=256)
    fitted, note = fit_to_context(config, 4096, 600)
    need = (fitted.max_rounds * fitted.every_tokens
            + (fitted.max_rounds - 1) * (fitted.summary_tokens * 3 + 80))
    assert need <= 4096 - 600 - config.answer_tokens
    assert fitted.summary_tokens < 256 and "asked" in note and "context 4096" in note
    same, note = fit_to_context(LeapConfig(every_tokens=64, max_rounds=2, summary_tokens=32), 4096, 300)
    assert same.every_tokens == 64 and "asked" not in note


def test_the_prefix_trap_uses_the_models_own_wrong_responses_cut_at_15_percent():
    words = " ".join(f"w{i}" for i in range(40))
    replies = iter([f"{words}\nFinal answer: 8", "7 + 5 = 12.\nFinal answer: 12", "no answer"])
    engine = ScriptedEngine(lambda prompt: next(replies))
    prefixes = own_wrong_prefixes(engine, PROBLEM, "12", CONFIG, samples=3, max_tokens=64)
    assert prefixes[0] == " ".join(f"w{i}" for i in range(6))  # 15% of 43 tokens -> 6
    assert prefixes[1] == "no"  # a response without an answer counts as wrong
    assert len(prefixes) == 2


def made_path(index: int, answers: tuple[str | None, ...], heard: list[tuple[int, ...]]):
    blocks = tuple(PeerBlock(round=r, offset=0, peers=peers, text="")
                   for r, peers in enumerate(heard, 1))
    return LeapPath(index=index, segments=(Segment("prompt", 0, ""),),
                    answers_by_round=answers, peer_blocks=blocks)


def test_answer_changes_count_what_paths_do_right_after_hearing_peers():
    paths = (
        made_path(0, ("8", "12"), [(1,)]),  # wrong → right after a peer
        made_path(1, ("12", "8", "8"), [(0,), (2,)]),  # right → wrong, then kept
        made_path(2, (None, "12"), [(1,)]),  # had no answer to change
        made_path(3, ("5", "7"), [()]),  # heard nobody
    )
    result = LeapResult(problem="", mode="leap", answer="12", paths=paths, rounds=3)

    assert answer_changes([result], ["12"]) == AnswerChanges(
        heard=3, changed=2, wrong_to_right=1, right_to_wrong=1)
