"""Evaluation metrics (framework-free): MathDial success@k / telling@k and bootstrap CIs."""

from agents.eval.dialogue_metrics import (
    aggregate,
    bearing,
    bootstrap_ci,
    first_bearing,
    success_and_telling,
)

__all__ = ["aggregate", "bearing", "bootstrap_ci", "first_bearing", "success_and_telling"]
