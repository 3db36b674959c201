"""Jinja2 prompt templates the agent renders (system prompt, estimate guidelines); no code paths."""
