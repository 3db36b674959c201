"""Reading staff English without an LLM: questions → intents, date periods, money, names, approval words."""
