"""The public write-request eval set: each utterance becomes exactly its tool call, with valid arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.offline.actions import read_write_request
from tools.registry import all_tools

CASES = [
    json.loads(line)
    for line in (Path(__file__).parents[3] / "bench" / "eval" / "writes_public.jsonl")
    .read_text()
    .splitlines()
    if line.strip()
]


@pytest.mark.parametrize("case", CASES, ids=[c["utterance"][:40] for c in CASES])
def test_write_request_eval(case: dict) -> None:
    request = read_write_request(case["utterance"])
    assert request is not None and (request.name, request.args) == (case["tool"], case["args"])
    next(t for t in all_tools() if t.name == request.name).validate_args(request.args)
