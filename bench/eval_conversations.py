"""Conversation benchmark: play multi-turn threads through the whole agent graph on the demo company and check
the expected facts in the final reply.

Each line of an evaluation file is ``{"name", "turns", "expect", "expect_action"?, "role"?}``. A turn is a message
or ``{"decide": "approve"|"reject"}``. ``expect`` lists texts the final reply must contain (case-insensitive);
when the thread ends waiting for an approval, the "reply" is the proposed action (name, description, args), and
``expect_action`` (``{"name", "args"}``, args a subset) must match it. Each conversation starts from a fresh
demo company. Prints the score and each miss; it measures, it does not fail the run.

    python bench/eval_conversations.py [--file F.jsonl ...] [--provider offline|openai] [--verbose]

With ``--provider openai`` and ``QBO_AGENT_FAST_PATH=1`` it also prints how many model calls the fast path
answered without the LLM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from langchain_core.messages import HumanMessage  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.types import Command  # noqa: E402

from agent.graph import build_graph  # noqa: E402
from agent.offline.fast_path import FastPathModel  # noqa: E402
from demo.company import demo_as_of  # noqa: E402
from demo.runtime import open_demo  # noqa: E402
from domain.models import Role  # noqa: E402

DEFAULT_FILES = [ROOT / "bench" / "eval" / "conversations.jsonl"]
CALLS: Counter[str] = Counter()  # model calls by who answered them, over the run (fast path only)


def final_reply(out: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """The text a person would see last, and the proposed action when the thread waits for an approval."""
    if out.get("__interrupt__"):
        request = out["__interrupt__"][0].value["action_requests"][0]
        text = f"{request['name']}: {request['description']} {json.dumps(request['args'], default=str)}"
        return text, request
    return str(out["messages"][-1].content), None


def check(case: dict[str, Any], reply: str, action: dict[str, Any] | None) -> list[str]:
    """How the final reply misses the case's expectations; empty when it meets them."""
    problems = [f"missing {fact!r}" for fact in case.get("expect", []) if fact.lower() not in reply.lower()]
    wanted = case.get("expect_action")
    if wanted:
        if action is None:
            problems.append(f"expected a proposed {wanted['name']}, got a reply")
        elif action["name"] != wanted["name"]:
            problems.append(f"proposed {action['name']}, expected {wanted['name']}")
        else:
            for key, value in (wanted.get("args") or {}).items():
                if action["args"].get(key) != value:
                    problems.append(f"args.{key} = {action['args'].get(key)!r}, expected {value!r}")
    elif action is not None and case.get("expect_no_action"):
        problems.append(f"proposed {action['name']} where no action was expected")
    return problems


async def play(case: dict[str, Any], provider: str) -> tuple[str, dict[str, Any] | None, list[str]]:
    """Run one conversation on a fresh demo company; returns the final reply, the action, and the transcript."""
    role = Role(case.get("role", "owner"))
    transcript: list[str] = []
    async with open_demo(demo_as_of()) as rt:
        model = rt.model(provider=provider)
        graph = build_graph(model, rt.toolbox, InMemorySaver())
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        out: dict[str, Any] = {}
        for turn in case["turns"]:
            if isinstance(turn, dict):
                decision = {"type": turn["decide"]}
                if turn["decide"] == "reject":
                    decision["message"] = turn.get("message", "not now")
                payload: Any = Command(resume={"decisions": [decision]})
                transcript.append(f"[{turn['decide']}]")
            else:
                payload = {"messages": [HumanMessage(turn)]}
                transcript.append(f"> {turn}")
            out = await graph.ainvoke(payload, config, context=rt.context(role))
            transcript.append("  " + final_reply(out)[0].replace("\n", "\n  "))
        if isinstance(model, FastPathModel):
            CALLS.update(model.calls)
    reply, action = final_reply(out)
    return reply, action, transcript


async def evaluate(cases: list[dict[str, Any]], provider: str, verbose: bool) -> int:
    passed = 0
    started = time.perf_counter()
    for case in cases:
        try:
            reply, action, transcript = await play(case, provider)
            problems = check(case, reply, action)
        except Exception as exc:  # a crash is a miss to report, and the other conversations still run
            transcript, problems = [], [f"crashed: {type(exc).__name__}: {exc}"]
        passed += not problems
        if problems:
            print(f"   MISS {case['name']}: {'; '.join(problems)}")
            if verbose:
                print("      " + "\n      ".join(transcript))
    elapsed = time.perf_counter() - started
    share = 100 * passed / max(len(cases), 1)
    print(f"   {passed}/{len(cases)} conversations ({share:.1f}%), {elapsed:.1f} s")
    if CALLS:
        total = sum(CALLS.values())
        print(f"   fast path answered {CALLS['fast_path']}/{total} model calls without the LLM")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--file", action="append", type=Path, help="conversations JSONL (repeatable)")
    parser.add_argument(
        "--provider",
        choices=["offline", "openai"],
        default="offline",
        help="openai: any OpenAI-compatible server from OPENAI_BASE_URL / OPENAI_API_KEY / QBO_AGENT_MODEL",
    )
    parser.add_argument("--verbose", action="store_true", help="print the transcript of each miss")
    args = parser.parse_args(argv)
    for path in args.file or DEFAULT_FILES:
        cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        print(f"== {path.name} ({args.provider})")
        asyncio.run(evaluate(cases, args.provider, args.verbose))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
