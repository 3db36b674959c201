"""The HTTP side of cursor-paged lists: the `cursor`/`limit` parameters, the `Page` body, and `ListingDep`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.deps import ReaderDep, SessionDep
from domain.services.paging import PageRequest, Window, newest_first

T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)

LimitQuery = Annotated[int, Query(ge=1, le=200, description="Page size")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]
CustomerQuery = Annotated[str | None, Query(max_length=36)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def page_params(default_limit: int) -> Any:
    """A dependency reading `cursor` and `limit` (``default_limit`` when left out)."""

    def read(cursor: CursorQuery = None, limit: LimitQuery = default_limit) -> PageRequest:
        return PageRequest(cursor, limit)

    return Depends(read)


def page_of(schema: type[S], window: Window[Any]) -> Page[S]:
    """The body of a list answer: each row of ``window`` shown as ``schema``."""
    return Page(items=[schema.model_validate(row) for row in window.rows], next_cursor=window.next_cursor)


@dataclass(frozen=True)
class Listing:
    """What a list endpoint reads with: the session, the reader's tenant and the page asked for."""

    session: Session
    tenant_id: str
    page: PageRequest

    def newest(self, schema: type[S], model: type[Any], **equal: object) -> Page[S]:
        """The tenant's ``model`` rows newest first, matching each given ``equal`` column, shown as ``schema``."""
        return page_of(schema, newest_first(self.session, model, self.tenant_id, self.page, **equal))


def _listing(actor: ReaderDep, session: SessionDep, page: Annotated[PageRequest, page_params(50)]) -> Listing:
    return Listing(session, actor.tenant_id, page)


ListingDep = Annotated[Listing, Depends(_listing)]
