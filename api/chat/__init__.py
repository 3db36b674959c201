"""Chat over the agent graph: threads, turns as event streams, approval decisions that resume a thread."""
