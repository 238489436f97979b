"""Framework-free agent code: LLM gateway, maths checking, graphs and evaluation. No Django."""
