"""ATLAS: lanes, reward, memory gates, pruning, and a scripted run of several sessions."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from agents.atlas import (
    AtlasConfig,
    AtlasTask,
    Cue,
    InMemoryStore,
    LearningMemory,
    MemoryUpdate,
    Pamphlet,
    PlaybookEntry,
    choose_lane,
    gate_update,
    judge_reward,
    propose_update,
    prune,
    run_atlas_session,
    run_student_alone,
    score_answer,
    update_counters,
)
from agents.atlas.probe import HistoryRecord, ProbeDecision, llm_probe
from agents.llm import ScriptedEngine
from agents.tracing import Tracer

FRACTIONS = r"\d+/\d+\s*\+\s*\d+/\d+"


def entry(**fields) -> PlaybookEntry:
    base = dict(id="e1", cue=Cue("regex", FRACTIONS), action="Find a common denominator first",
                expected_effect="Fewer wrong sums of fractions")
    return PlaybookEntry(**{**base, **fields})


def judge(*replies: dict | str) -> ScriptedEngine:
    return ScriptedEngine([r if isinstance(r, str) else json.dumps(r) for r in replies])


def rewrite(memory: LearningMemory, reply: dict | str) -> MemoryUpdate:
    text = reply if isinstance(reply, str) else json.dumps(reply)
    return propose_update(ScriptedEngine([text]), memory, "Problem: ...")


GOOD_ENTRY = {"cue": {"kind": "regex", "pattern": FRACTIONS},
              "action": "Find a common denominator first", "expected_effect": "Fewer slips"}


# --- lanes -----------------------------------------------------------------------------------

def test_no_history_starts_paired():
    assert choose_lane([]) == ("paired", "no history")


def test_high_streak_moves_to_auto():
    lane, reason = choose_lane([0.0, 1.0, 1.0, 1.0])
    assert lane == "auto" and "high streak of 3" in reason


def test_single_success_is_not_enough_for_auto():
    assert choose_lane([1.0])[0] == "paired"


def test_low_streak_moves_to_coach_despite_a_good_mean():
    lane, reason = choose_lane([1.0] * 7 + [0.3, 0.2, 0.0])
    assert lane == "coach" and "low streak of 3" in reason


def test_low_mean_without_streak_is_coach():
    assert choose_lane([0.0, 0.5])[0] == "coach"


def test_regression_drops_out_of_auto():
    assert choose_lane([1.0] * 9)[0] == "auto"
    lane, reason = choose_lane([1.0] * 9 + [0.0])
    assert lane == "paired" and "regressed" in reason


def test_strong_mean_with_an_old_blip_is_auto():
    assert choose_lane([1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0] + [])[0] == "auto"
    assert choose_lane([1.0] * 8 + [0.0, 1.0])[0] == "auto"


def test_only_the_window_counts():
    assert choose_lane([0.0] * 20 + [1.0, 1.0, 0.5])[0] == "coach"
    assert choose_lane([0.0] * 20 + [1.0] * 9 + [0.5])[0] == "paired"


def test_forced_lane_wins():
    assert choose_lane([1.0] * 5, forced="coach") == ("coach", "forced to coach")


# --- reward ----------------------------------------------------------------------------------

def test_checker_rewards_a_matching_final_answer():
    reward = score_answer("1/2 + 1/3 = 3/6 + 2/6\nFinal answer: 5/6", "5/6")
    assert (reward.score, reward.source) == (1.0, "checker")
    assert "matches" in reward.rationale


def test_checker_gives_zero_with_a_rationale_for_a_wrong_answer():
    reward = score_answer("Final answer: 2/5", "5/6")
    assert reward.score == 0.0 and "2/5" in reward.rationale


def test_agreeing_judges_give_their_mean_without_the_arbiter():
    small, large = judge(*({"score": s, "uncertainty": 0.1, "rationale": "ok"}
                           for s in (0.8, 0.9, 0.85))), judge("unused")
    reward = judge_reward(small, large, "What is 1/2 + 1/3?", "Final answer: 5/6")
    assert reward.source == "judge" and abs(reward.score - 0.85) < 1e-9
    assert [c.params["temperature"] for c in small.calls] == [0.2, 0.5, 0.8]
    assert large.calls == []


def test_judges_that_disagree_escalate_to_the_arbiter():
    small = judge(*({"score": s, "uncertainty": 0.1, "rationale": "r"} for s in (0.1, 0.9, 0.5)))
    large = judge({"score": 0.7, "rationale": "mostly right"})
    reward = judge_reward(small, large, "task", "output")
    assert (reward.score, reward.source) == (0.7, "arbiter")
    assert "mostly right" in reward.rationale


def test_an_unsure_judge_escalates_to_the_arbiter():
    small = judge(*({"score": 0.8, "uncertainty": u, "rationale": "r"} for u in (0.1, 0.5, 0.1)))
    reward = judge_reward(small, judge({"score": 1.0, "rationale": "fine"}), "task", "output")
    assert reward.source == "arbiter"


def test_garbage_from_the_judges_goes_to_the_arbiter():
    small = judge("I think it is fine!", '```json\n{"score": "high"}\n```',
                  'Sure: {"score": 0.8, "uncertainty": 0.1, "rationale": "ok"} done')
    reward = judge_reward(small, judge("still garbage"), "task", "output")
    assert (reward.score, reward.source) == (0.8, "judge")
    assert "arbiter unusable" in reward.rationale and "unusable reply" in reward.rationale


# --- memory rewrite and gate -----------------------------------------------------------------

def test_gate_accepts_a_general_rewrite_and_keeps_counters():
    old = LearningMemory(entries=(entry(helped=2, observed=4),))
    update = rewrite(old, {"student_pamphlet": "Rewrite fractions over one denominator.",
                           "entries": [{**GOOD_ENTRY, "id": "e1",
                                        "action": "Find the common denominator first"}]})
    gate = gate_update(old, update, ["5/6"])
    assert gate.accepted and gate.verdict == "accepted"
    (kept,) = gate.memory.entries
    assert kept.action == "Find the common denominator first" and kept.helped == 2
    assert gate.memory.student_pamphlet.text.startswith("Rewrite")


def test_gate_rejects_an_update_that_leaks_the_answer():
    old = LearningMemory()
    update = rewrite(old, {"student_pamphlet": "For one half plus one third write 0.8333333333333334"
                                               " or simply 5/6."})
    gate = gate_update(old, update, ["5/6"])
    assert not gate.accepted and gate.memory is old
    assert any("leaks" in f for f in gate.failures)


def test_gate_allows_a_number_the_memory_already_had():
    old = LearningMemory(Pamphlet("Halve by dividing by 2."))
    gate = gate_update(old, rewrite(old, {"student_pamphlet": "Halve: divide by 2, then check."}),
                       ["2"])
    assert gate.accepted


def test_gate_rejects_a_pamphlet_over_600_words():
    old = LearningMemory()
    gate = gate_update(old, rewrite(old, {"teacher_pamphlet": "ask " * 601}), [])
    assert not gate.accepted and "601 words" in gate.verdict


def test_gate_rejects_an_invalid_cue_regex():
    old = LearningMemory()
    bad = {**GOOD_ENTRY, "cue": {"kind": "regex", "pattern": r"(\d+/"}}
    gate = gate_update(old, rewrite(old, {"entries": [bad]}), [])
    assert not gate.accepted and "does not compile" in gate.verdict


def test_gate_rejects_an_over_long_action():
    old = LearningMemory()
    gate = gate_update(old, rewrite(old, {"entries": [{**GOOD_ENTRY, "action": "x" * 121}]}), [])
    assert not gate.accepted and "cap 120" in gate.verdict


def test_generality_failure_only_makes_the_entry_provisional():
    old = LearningMemory()
    dated = {**GOOD_ENTRY, "expected_effect": "As Mr Smith saw on 2024-03-01, fewer slips"}
    gate = gate_update(old, rewrite(old, {"entries": [dated, GOOD_ENTRY]}), [])
    assert gate.accepted
    assert [e.status for e in gate.memory.entries] == ["provisional", "active"]
    assert any("a date" in w for w in gate.warnings)
    assert any("a personal name" in w for w in gate.warnings)


def test_gate_rejects_negating_an_entry_that_has_helped():
    old = LearningMemory(entries=(entry(helped=3, hurt=1),))
    negated = {**GOOD_ENTRY, "id": "e1", "action": "Do not find a common denominator first"}
    gate = gate_update(old, rewrite(old, {"entries": [negated]}), [])
    assert not gate.accepted and "negates helpful e1" in gate.verdict


def test_gate_rejects_retiring_an_entry_that_has_helped():
    old = LearningMemory(entries=(entry(helped=3, hurt=1),))
    gate = gate_update(old, rewrite(old, {"entries": []}), [])
    assert not gate.accepted and "retires e1" in gate.verdict


def test_an_unhelpful_entry_may_be_retired():
    old = LearningMemory(entries=(entry(helped=1, hurt=2),))
    gate = gate_update(old, rewrite(old, {"entries": [GOOD_ENTRY]}), [])
    assert gate.accepted
    assert [(e.id, e.status) for e in gate.memory.entries] == [("e1", "deprecated"),
                                                               ("e2", "active")]


def test_garbage_rewrite_is_no_update_with_a_reason():
    old = LearningMemory(Pamphlet("keep me"))
    for reply in ("no json here", '{"entries": "lots"}', '{"entries": [{"action": 3}]}'):
        update = rewrite(old, reply)
        assert update.proposed is None and update.reason
        gate = gate_update(old, update, [])
        assert not gate.accepted and gate.memory is old


# --- counters and pruning --------------------------------------------------------------------

def test_counters_count_hits_adoption_and_reward_delta():
    memory = LearningMemory(entries=(entry(), entry(id="e2", cue=Cue("keyword", "percent"))))
    text = "1/2 + 1/3: first find a common denominator, 6."
    memory = update_counters(memory, text, reward=1.0, baseline_reward=0.5, task_id="t1")
    hit, miss = memory.entries
    assert (hit.observed, hit.hit_sessions, hit.used, hit.helped, hit.hurt) == (1, 1, 1, 1, 0)
    assert hit.delta_sum == 0.5 and hit.hit_tasks == ("t1",)
    assert (miss.observed, miss.hit_sessions) == (1, 0)


def test_prune_spares_entries_seen_in_fewer_than_ten_sessions():
    assert prune([entry(observed=9)])[0].status == "active"


def test_prune_drops_a_cue_that_rarely_hits():
    (e,) = prune([entry(observed=40, hit_sessions=1, hit_tasks=("a", "b"))])
    assert e.status == "pruned" and "hit rate" in e.note


def test_prune_drops_an_entry_whose_hits_lower_the_reward():
    (e,) = prune([entry(observed=10, hit_sessions=5, delta_sum=-0.5)])
    assert e.status == "pruned" and "reward delta" in e.note


def test_prune_drops_an_adopted_entry_without_gain():
    (e,) = prune([entry(observed=12, hit_sessions=10, used=8, delta_sum=0.05)])
    assert e.status == "pruned" and "adopted" in e.note


def test_prune_drops_an_entry_that_never_transferred():
    young, old = prune([entry(observed=19, hit_sessions=10, delta_sum=2.0, hit_tasks=("a",)),
                        entry(observed=20, hit_sessions=10, delta_sum=2.0, hit_tasks=("a",))])
    assert young.status == "active" and old.status == "pruned" and "transfer" in old.note


def test_prune_keeps_a_helpful_entry_and_ignores_retired_ones():
    kept, retired = prune([entry(observed=30, hit_sessions=10, used=3, delta_sum=2.0,
                                 hit_tasks=("a", "b")),
                           entry(id="e2", status="deprecated", observed=30)])
    assert kept.status == "active" and retired.status == "deprecated"


# --- sessions --------------------------------------------------------------------------------

PROBLEMS = {  # question: (gold, the student's wrong answer)
    "What is 1/2 + 1/3?": ("5/6", "2/5"),
    "What is 1/4 + 1/2?": ("3/4", "2/6"),
    "What is 2/3 + 1/6?": ("5/6", "3/9"),
    "What is 1/5 + 1/10?": ("3/10", "2/15"),
    "What is 3/4 of 12 plus 7?": ("16", "19"),  # not a fraction sum: notes do not help here
    "What is 1/3 + 1/6?": ("1/2", "2/9"),
}
LEAKY = {"student_pamphlet": "For 1/2 + 1/3 the answer is 5/6.", "entries": []}
USEFUL = {"student_pamphlet": "Before adding fractions, rewrite both over a common denominator.",
          "teacher_pamphlet": "Ask which denominator both fractions share; stop once named.",
          "entries": [GOOD_ENTRY]}


def student_reply(messages) -> str:
    system, last = messages[0]["content"], messages[-1]["content"]
    if "numbered plan" in last:
        return "1. Look at the denominators. 2. Add."
    question = messages[1]["content"].removeprefix("Problem: ").split("\n")[0]
    gold, wrong = PROBLEMS[question]
    helped = ("notes from earlier practice" in system or "Your teacher says" in last
              or "reviewed by your teacher" in messages[1]["content"])
    if helped and "plus 7" not in question:
        return f"Over a common denominator the sum is {gold}.\nFinal answer: {gold}"
    return f"I add tops and bottoms.\nFinal answer: {wrong}"


def teacher(synthesis_replies: list[dict], probe: dict | str | None = None) -> ScriptedEngine:
    """A teacher that judges by the work's content: it never sees, and never needs, the gold."""
    def reply(messages) -> str:
        system, last = messages[0]["content"], messages[-1]["content"]
        if system.startswith("You keep the learning memory"):
            data = synthesis_replies.pop(0) if len(synthesis_replies) > 1 else synthesis_replies[0]
            if '"id": "e1"' in last:
                data = {**data, "entries": [{**e, "id": "e1"} for e in data["entries"]]}
            return json.dumps(data)
        if system.startswith("Role: Adaptive execution router"):
            answer = probe if probe is not None else {"mode": "paired", "confidence": 0.7}
            return answer if isinstance(answer, str) else json.dumps(answer)
        if "Review the student's proposed plan" in system:
            return json.dumps({"steps": [{"id": 1, "description": "Rewrite both fractions over a "
                                          "common denominator."}, {"id": 2, "description": "Add."}],
                               "concerns": ["Make both denominators the same.", "Then add.",
                                            "A third sentence is cut."]})
        if "Validate whether" in system:
            work = json.loads(last.removesuffix("\nReturn json."))["student_response"]
            if "common denominator" in work:
                return json.dumps({"valid": True, "guidance": None})
            return json.dumps({"valid": False, "guidance": "Look at the denominators before you add."})
        return "unused"
    return ScriptedEngine(reply, model="teacher")


def teacher_messages(engine: ScriptedEngine) -> list[str]:
    """Every message the teacher received while validating or reviewing a plan."""
    return [m["content"] for c in engine.calls for m in c.messages
            if "Validate whether" in c.messages[0]["content"]
            or "Review the student's proposed plan" in c.messages[0]["content"]]


def test_sessions_move_lanes_and_save_memory_versions():
    store, key = InMemoryStore(), "learner-1:fractions"
    engine = teacher([LEAKY, USEFUL])
    sessions = [run_atlas_session(ScriptedEngine(student_reply), engine,
                                  AtlasTask(q, gold, "fractions"), store, key,
                                  AtlasConfig(probe="rules"))
                for q, (gold, _) in PROBLEMS.items()]

    assert [s.lane for s in sessions] == ["paired", "paired", "paired", "auto", "auto", "paired"]
    assert store.lanes(key) == [s.lane for s in sessions]
    assert store.history(key) == [1.0, 1.0, 1.0, 1.0, 0.0, 1.0]

    first, second, third = sessions[:3]
    assert first.recovered and first.first_answer == "2/5" and first.final_answer == "5/6"
    assert [(a.correct, a.checked) for a in first.attempts] == [(False, False), (None, True)]
    assert first.attempts[0].feedback == "Look at the denominators before you add."
    assert not first.memory_changed and "leaks" in first.gate.verdict
    assert second.recovered and second.memory_changed and second.memory_version == 1
    assert len(third.attempts) == 1 and third.attempts[0].correct
    assert sessions[4].reward.score == 0.0 and len(sessions[4].attempts) == 1

    versions = store.versions[key]
    assert [m.version for m, _ in versions] == [1, 2, 3, 4, 5]
    assert all("synthesis accepted" in reason for _, reason in versions)
    (e1,) = store.load(key).entries
    assert (e1.observed, e1.hit_sessions) == (4, 3)  # cue hits in the student's input
    assert e1.rubric == 1.0  # actionable, general, a regex cue, concise
    assert set(second.tokens) == {"student", "teacher", "memory", "probe"}
    assert second.usage["teacher"]["calls"] == 1 and second.usage["student"]["calls"] == 2
    assert sessions[3].tokens.get("teacher", 0) == 0
    assert first.probe_reason == "rules probe: no history" and "llm" not in first.usage


def test_teacher_validates_and_reviews_plans_without_the_gold_answer():
    """The gold answer reaches no teacher message; it scores the finished session only."""
    def wrong_student(messages) -> str:
        return "1. Add tops. 2. Add bottoms." if "numbered plan" in messages[-1]["content"] \
            else "I add tops and bottoms.\nFinal answer: 2/5"
    engine = teacher([USEFUL])
    task = AtlasTask("What is 1/2 + 1/3?", "5/6")
    for lane in ("coach", "paired"):
        session = run_atlas_session(ScriptedEngine(wrong_student), engine, task, InMemoryStore(),
                                    "k", AtlasConfig(forced_lane=lane, max_attempts=3))
        assert [a.correct for a in session.attempts] == [False, False, None]
        assert session.reward.score == 0.0 and not session.succeeded
    sent = teacher_messages(engine)
    assert len(sent) == 2 * (1 + 2 + 2)  # (system, user) per plan review and validation
    assert not any("5/6" in text for text in sent)
    schemas = [c.params.get("json_schema") for c in engine.calls
               if "Validate whether" in c.messages[0]["content"]]
    assert schemas and all(set(s["properties"]) == {"valid", "guidance"} for s in schemas)


def test_coach_lane_replaces_the_plan_with_the_reviewed_one():
    tracer = Tracer()
    session = run_atlas_session(ScriptedEngine(student_reply), teacher([USEFUL]),
                                AtlasTask("What is 1/2 + 1/3?", "5/6"), InMemoryStore(), "k",
                                AtlasConfig(forced_lane="coach"), tracer)
    assert session.lane == "coach" and session.student_plan.startswith("1. Look")
    assert session.plan == "1. Rewrite both fractions over a common denominator.\n2. Add."
    assert session.plan_guidance == "Make both denominators the same. Then add."
    assert session.attempts[0].correct and session.reward.score == 1.0
    names = [s.name for s in tracer.spans if s.name.startswith("atlas.")]
    assert names[:5] == ["atlas.probe", "atlas.inject", "atlas.plan", "atlas.review_plan",
                         "atlas.solve"]
    assert tracer.calls


def test_the_oracle_arm_gates_attempts_with_the_checker():
    engine = teacher([USEFUL])
    session = run_atlas_session(ScriptedEngine(student_reply), engine,
                                AtlasTask("What is 1/2 + 1/3?", "5/6"), InMemoryStore(), "k",
                                AtlasConfig(oracle=True))
    assert [a.correct for a in session.attempts] == [False, None]
    assert not teacher_messages(engine)  # the checker decided; the teacher only gave feedback


def test_frozen_memory_is_used_but_not_updated_and_shadow_memory_the_reverse():
    store = InMemoryStore()
    store.save("k", LearningMemory(Pamphlet("Rewrite over a common denominator.")), "seed")
    task = AtlasTask("What is 1/2 + 1/3?", "5/6")
    frozen = run_atlas_session(ScriptedEngine(student_reply), teacher([USEFUL]), task, store, "k",
                               AtlasConfig(update_enabled=False))
    assert frozen.attempts[0].checked and not frozen.memory_changed
    assert "frozen" in frozen.gate.verdict and len(store.versions["k"]) == 1
    shadow = run_atlas_session(ScriptedEngine(student_reply), teacher([USEFUL]), task, store, "k",
                               AtlasConfig(apply_to_prompts=False))
    assert shadow.attempts[0].checked is False and shadow.memory_changed
    assert len(store.versions["k"]) == 2


def test_without_gold_the_teacher_checks_and_judges_score():
    teach = teacher([USEFUL])
    small = judge(*({"score": 0.9, "uncertainty": 0.1, "rationale": "sound"},) * 3)
    session = run_atlas_session(ScriptedEngine(student_reply), teach,
                                AtlasTask("What is 1/2 + 1/3?"), InMemoryStore(), "k",
                                judge_llm=small)
    assert [a.correct for a in session.attempts] == [False, None]
    assert session.attempts[0].feedback == "Look at the denominators before you add."
    assert session.reward.source == "judge" and session.reward.score == 0.9
    assert session.recovered and session.tokens["judge"] > 0


def test_self_retry_baseline_rechecks_on_the_same_budget_without_a_teacher():
    run = run_student_alone(ScriptedEngine(student_reply), AtlasTask("What is 1/2 + 1/3?", "5/6"),
                            attempts=2)
    assert len(run.attempts) == 2 and run.usage["student"]["calls"] == 2
    assert run.reward.score == 0.0 and [a.checked for a in run.attempts] == [False, False]


# --- capability probe ------------------------------------------------------------------------

def probe_with(reply: str | dict) -> tuple[ProbeDecision, ScriptedEngine]:
    engine = ScriptedEngine([reply if isinstance(reply, str) else json.dumps(reply)])
    records = [HistoryRecord(1.0, "matches", "paired", "Use a common denominator.")]
    return llm_probe(engine, "What is 1/2 + 1/3?", records), engine


def test_probe_without_history_is_paired_without_a_call():
    engine = ScriptedEngine(["unused"])
    assert llm_probe(engine, "t", []).lane == "paired" and engine.calls == []


def test_probe_takes_a_valid_mode_and_reads_rewards_and_notes():
    decision, engine = probe_with({"mode": "auto", "confidence": 0.2})
    assert (decision.lane, decision.confidence) == ("auto", 0.2)
    payload = json.loads(engine.calls[0].messages[1]["content"])["learning_history"]
    assert payload["scores"] == [1.0] and payload["recent_high_score_streak"] == 1
    assert payload["entries"][0]["student_learning"] == "Use a common denominator."
    assert engine.calls[0].params["json_schema"]["required"] == ["mode"]
    assert engine.calls[0].params["temperature"] == 0.2


@pytest.mark.parametrize(("confidence", "lane"), [(0.9, "auto"), (0.85, "auto"), (0.7, "paired"),
                                                  (0.65, "paired"), (0.3, "coach")])
def test_probe_maps_confidence_only_when_the_mode_is_invalid(confidence, lane):
    decision, _ = probe_with({"mode": "turbo", "confidence": confidence})
    assert decision.lane == lane and "invalid mode" in decision.reason


@pytest.mark.parametrize("reply", ["no json here", {"mode": "turbo"}, ScriptedEngine.FAIL])
def test_probe_falls_back_to_paired_on_garbage_or_error(reply):
    decision, _ = probe_with(reply)
    assert decision.lane == "paired" and "fallback" in decision.reason


def test_forced_lane_wins_over_the_probe():
    engine = ScriptedEngine(["unused"])
    assert llm_probe(engine, "t", [HistoryRecord(0.0)], forced="coach").lane == "coach"
    assert engine.calls == []


def test_both_probes_decide_on_the_same_history_in_a_session():
    store = InMemoryStore()
    store.record_reward("k", score_answer("Final answer: 5/6", "5/6"), "paired")
    session = run_atlas_session(ScriptedEngine(student_reply), teacher([USEFUL], {"mode": "coach"}),
                                AtlasTask("What is 1/2 + 1/3?", "5/6"), store, "k")
    assert session.lane == "coach" and session.probe_reason.startswith("llm probe: mode coach")
    assert session.probe_alt.startswith("paired: ")  # the rule set on one reward of 1.0
    assert session.usage["probe"]["calls"] == 1


def test_student_alone_is_scored_by_the_checker():
    run = run_student_alone(ScriptedEngine(student_reply), AtlasTask("What is 1/2 + 1/3?", "5/6"))
    assert run.attempt.answer == "2/5" and run.reward.score == 0.0 and run.tokens > 0


def test_memory_round_trips_through_a_dict():
    memory = LearningMemory(Pamphlet("a"), Pamphlet("b"), (entry(hit_tasks=("t",)),), 3)
    assert LearningMemory.from_dict(json.loads(json.dumps(memory.to_dict()))) == memory
    assert replace(memory, version=4) != memory
