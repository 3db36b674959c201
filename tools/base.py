"""What every agent tool shares: the environment it runs in, the proposal a write returns, and the base class.

Tools are LangChain tools (name, description, pydantic ``args_schema``) so any chat model can bind them. Reads
answer; writes never execute when called — ``propose`` validates and previews, and only the agent's approval
step calls ``execute`` after a human said yes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

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
    """Where read questions are answered: live QBO when connected, else the local store."""

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
    """Base for every agent tool. Subclasses set ``args_schema`` and implement ``answer`` or ``propose``/``execute``."""

    writes: bool = False
    permission: Permission = Permission.READ_BOOKS

    async def answer(self, args: Any, env: ToolEnv) -> dict[str, Any]:
        raise TypeError(f"{self.name} is a write tool; it proposes instead of answering")

    async def propose(self, args: Any, env: ToolEnv) -> ProposedAction:
        raise TypeError(f"{self.name} is a read tool; it answers instead of proposing")

    async def execute(self, args: Any, env: ToolEnv) -> dict[str, Any]:
        raise TypeError(f"{self.name} is a read tool; there is nothing to execute")

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

    def validate_args(self, raw: dict[str, Any]) -> BaseModel:
        schema = self.args_schema
        assert isinstance(schema, type) and issubclass(schema, BaseModel)
        return schema.model_validate(raw)

    def check_proposer(self, env: ToolEnv) -> None:
        """Reads need the read right; proposing a write needs only to be able to read (approval checks the rest)."""
        require(env.actor, Permission.READ_BOOKS)

    async def _arun(self, *, config: RunnableConfig, **kwargs: Any) -> Any:
        """Invocation through LangChain: the environment travels in ``configurable``."""
        env = config.get("configurable", {}).get(ENV_KEY)
        if not isinstance(env, ToolEnv):
            raise ValueError(f"{self.name} needs a ToolEnv in config['configurable']['{ENV_KEY}']")
        args = self.validate_args(kwargs)
        if self.writes:
            return (await self.propose(args, env)).model_dump(mode="json")
        return await self.answer(args, env)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{self.name} is asynchronous; use ainvoke")


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
