"""LangGraph graphs: tutor, misconception, atlas, leap, simulated_student."""
