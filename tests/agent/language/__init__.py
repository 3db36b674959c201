"""Tests of the rule-based language readers."""
