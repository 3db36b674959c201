"""The offline model: deterministic, rule-based language understanding that needs no LLM service."""
