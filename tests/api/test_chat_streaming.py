"""The offline model's reply reaches a chat stream word by word, and the words join to the whole reply."""

from __future__ import annotations

import uuid

from langgraph.checkpoint.memory import InMemorySaver

from agent.graph import build_graph
from api.chat.runner import stream_turn
from demo.company import demo_as_of
from demo.runtime import open_demo


async def test_a_read_answer_streams_as_one_token_event_per_word() -> None:
    async with open_demo(demo_as_of()) as rt:
        graph = build_graph(rt.model(), rt.toolbox, InMemorySaver())
        events = [
            e
            async for e in stream_turn(
                graph,
                thread_id=uuid.uuid4().hex,
                context=rt.context(),
                message="what invoices does Bob's Bakery have open?",
            )
        ]
    tokens = [str(e.data["text"]) for e in events if e.event == "token"]
    messages = [str(e.data["text"]) for e in events if e.event == "message"]
    assert [e.event for e in events][-1] == "done"
    assert any(e.event == "tool_end" for e in events)
    reply = messages[-1]
    assert len(tokens) == len(reply.split()) > 3
    assert "".join(tokens) == reply
    assert all(len(t.split()) == 1 for t in tokens)
