"""Tests of the estimate planner."""
