"""The demo company in one home: its users and clock, the one-process runtime, and the served demo."""
