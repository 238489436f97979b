"""Answer extraction and equivalence for maths answers (math-verify + sympy, never an LLM)."""

from agents.math.answers import (
    answers_match,
    extract_answer,
    gold_final_answer,
    loss_question,
    numbers_in,
    stated_answer,
)

__all__ = ["answers_match", "extract_answer", "gold_final_answer", "loss_question", "numbers_in",
           "stated_answer"]
