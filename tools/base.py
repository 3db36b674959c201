"""What every agent tool shares: the environment it runs in, the proposal a write returns, and the base class.

Tools are LangChain tools (name, description, pydantic ``args_schema``) so any chat model can bind them. Reads
answer (asynchronously: they may await QuickBooks); writes never execute when called — ``propose`` validates and
previews, and only the agent's approval step calls ``execute`` after a human said yes. ``propose`` and ``execute``
are synchronous domain work, which their callers run off the event loop in one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Protocol

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session, sessionmaker

from domain.context import Actor
from domain.permissions import Permission, require
from domain.services.approvals import required_role
from domain.services.snapshots import jsonable

ENV_KEY = "books_tool_env"


class BooksSource(Protocol):
    """Where read questions are answered: live QBO when connected, else the local store.

    ``live`` books answer over the network: the caller ends its database transaction before awaiting them.
    """

    live: bool

    async def run_intent(self, intent: Any, *, today: date) -> dict[str, Any]:
        """Return ``{"query", "results", "aggregate"}`` for a validated QboIntent."""
        ...


# Plans catalog lines for a job description: (job, catalog) → (line requests, warnings). The agent layer injects
# it so a model that gives no lines (the offline model without a catalog) still gets a draft.
# (job, catalog) → (line requests and the discounts the job asks for, warnings)
Planner = Callable[[str, list[Any]], tuple[list[Any], list[str]]]


@dataclass(slots=True)
class ToolEnv:
    """One tool call's world: a session inside the step's transaction, the acting user and the books."""

    session: Session
    actor: Actor
    today: date
    timezone: str
    thread_id: str
    books: BooksSource | None = None
    planner: Planner | None = None


@dataclass(frozen=True, slots=True)
class ToolDeps:
    """Made once by the runtime (or a test) and shared by every tool and the graph's nodes."""

    sessionmaker: sessionmaker[Session]
    # Chooses the books for a tenant: QboBooks when it is connected, LocalBooks otherwise.
    books_for: Callable[[Session, Actor], BooksSource] | None = None
    planner: Planner | None = None


class ProposedAction(BaseModel):
    """A write the assistant wants to make, with what will change, for a human to approve."""

    model_config = ConfigDict(frozen=True)

    name: str
    args: dict[str, Any]
    description: str
    preview: dict[str, Any]
    permission: Permission

    @property
    def required_role(self) -> str:
        return required_role(self.permission)


class BooksTool(BaseTool):
    """Base for every agent tool. A read subclasses it and implements ``answer``; a write subclasses ``WriteTool``.

    ``answer`` is asynchronous because a read may await QuickBooks; when the books are live the caller has ended
    the database transaction by then, so such a read must use only ``env.books``. A read that answers from the
    local store whatever the books (``local_only``) keeps its read-only transaction. Writes are synchronous: see
    ``WriteTool``.
    """

    writes: ClassVar[bool] = False
    local_only: ClassVar[bool] = False
    permission: Permission = Permission.READ_BOOKS

    async def answer(self, args: Any, env: ToolEnv) -> dict[str, Any]:
        raise NotImplementedError(f"{self.name} answers nothing")

    def validate_args(self, raw: dict[str, Any]) -> BaseModel:
        schema = self.args_schema
        assert isinstance(schema, type) and issubclass(schema, BaseModel)
        return schema.model_validate(raw)

    def check_proposer(self, env: ToolEnv) -> None:
        """Reads need the read right; proposing a write needs only to be able to read (approval checks the rest)."""
        require(env.actor, Permission.READ_BOOKS)

    async def _arun(self, *, config: RunnableConfig, **kwargs: Any) -> Any:
        """Invocation through LangChain: the environment travels in ``configurable``."""
        return await self.answer(self.validate_args(kwargs), env_of(self.name, config))

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{self.name} is asynchronous; use ainvoke")


class WriteTool(BooksTool):
    """A write: ``propose`` validates and previews, ``execute`` makes the change after a human said yes.

    Both are synchronous local domain work (the sync worker pushes to QuickBooks later, through the outbox), so the
    caller runs them in a worker thread inside one transaction, and no lock is ever held across an await.
    """

    writes: ClassVar[bool] = True

    def propose(self, args: Any, env: ToolEnv) -> ProposedAction:
        raise NotImplementedError(f"{self.name} proposes nothing")

    def execute(self, args: Any, env: ToolEnv) -> dict[str, Any]:
        raise NotImplementedError(f"{self.name} executes nothing")

    async def answer(self, args: Any, env: ToolEnv) -> dict[str, Any]:
        raise TypeError(f"{self.name} is a write tool; it proposes instead of answering")

    def proposal(
        self, args: BaseModel, description: str, preview: dict[str, Any], permission: Permission | None = None
    ) -> ProposedAction:
        return ProposedAction(
            name=self.name,
            args=dump_args(args),
            description=description,
            preview=jsonable(preview),
            permission=permission or self.permission,
        )

    def _run(self, *, config: RunnableConfig, **kwargs: Any) -> Any:
        """Invocation through LangChain proposes only; the caller's session is used in this thread alone."""
        return self.propose(self.validate_args(kwargs), env_of(self.name, config)).model_dump(mode="json")

    async def _arun(self, *, config: RunnableConfig, **kwargs: Any) -> Any:
        # The proposal runs SQL, which never runs on the event loop.
        return await asyncio.to_thread(self._run, config=config, **kwargs)


def env_of(name: str, config: RunnableConfig) -> ToolEnv:
    env = config.get("configurable", {}).get(ENV_KEY)
    if not isinstance(env, ToolEnv):
        raise ValueError(f"{name} needs a ToolEnv in config['configurable']['{ENV_KEY}']")
    return env


def dump_args(args: BaseModel) -> dict[str, Any]:
    """Validated args as plain JSON (Decimals as strings) — what is hashed, stored and shown."""
    data: dict[str, Any] = jsonable(args.model_dump(mode="json", exclude_none=True))
    return data


@dataclass(frozen=True, slots=True)
class Toolbox:
    """The tools the model may call plus the dependencies the graph's nodes need."""

    tools: Sequence[BooksTool]
    deps: ToolDeps

    def __iter__(self) -> Iterator[BooksTool]:
        return iter(self.tools)

    def get(self, name: str) -> BooksTool | None:
        return next((t for t in self.tools if t.name == name), None)
