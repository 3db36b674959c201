"""The HTTP side of cursor-paged lists: the `cursor`/`limit` query parameters and the `Page` body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from domain.services.paging import Window

T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)

LimitQuery = Annotated[int, Query(ge=1, le=200, description="Page size")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]
CustomerQuery = Annotated[str | None, Query(max_length=36)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageParams:
    cursor: str | None
    limit: int


def page_params(default_limit: int) -> Any:
    """A dependency reading `cursor` and `limit` (``default_limit`` when left out)."""

    def read(cursor: CursorQuery = None, limit: LimitQuery = default_limit) -> PageParams:
        return PageParams(cursor, limit)

    return Depends(read)


PageDep = Annotated[PageParams, page_params(50)]


def page_of(schema: type[S], window: Window[Any]) -> Page[S]:
    """The body of a list answer: each row of ``window`` shown as ``schema``."""
    return Page(items=[schema.model_validate(row) for row in window.rows], next_cursor=window.next_cursor)
