"""The offline chat model: rule-based, needs no LLM service; it reads with agent.language and agent.estimating."""
