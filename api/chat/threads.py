"""Chat threads: who owns which conversation (the checkpointer only knows ids)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.context import Actor
from domain.db import utcnow
from domain.errors import NotFound
from domain.models import ChatThread


def open_thread(session: Session, actor: Actor, thread_id: str | None, first_message: str) -> ChatThread:
    """The actor's existing thread, or a new one; another user's or tenant's thread is a 404."""
    if thread_id is None:
        thread = ChatThread(
            tenant_id=actor.tenant_id, user_id=actor.user_id, title=first_message.strip()[:200]
        )
        session.add(thread)
        session.flush()
        return thread
    thread = get_thread(session, actor, thread_id)
    thread.updated_at = utcnow()
    return thread


def get_thread(session: Session, actor: Actor, thread_id: str) -> ChatThread:
    thread = session.scalar(
        select(ChatThread).where(
            ChatThread.id == thread_id,
            ChatThread.tenant_id == actor.tenant_id,
            ChatThread.user_id == actor.user_id,
        )
    )
    if thread is None:
        raise NotFound("Thread", thread_id)
    return thread


def list_threads(session: Session, actor: Actor, *, limit: int = 50) -> list[ChatThread]:
    return list(
        session.scalars(
            select(ChatThread)
            .where(ChatThread.tenant_id == actor.tenant_id, ChatThread.user_id == actor.user_id)
            .order_by(ChatThread.updated_at.desc())
            .limit(limit)
        )
    )
