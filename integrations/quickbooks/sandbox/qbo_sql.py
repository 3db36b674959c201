"""QBO's query language, parsed and evaluated the way the v3 ``/query`` endpoint does it.

``SELECT * | COUNT(*) FROM Entity [WHERE p op v {AND ...}] [ORDER BY p [ASC|DESC], ...]
[STARTPOSITION n] [MAXRESULTS n]`` — AND only, ``\\'`` escapes, ``%`` wildcards, 1-based paging, at most 1000
rows. Syntax QBO rejects is answered with its 4000 parser fault; properties it cannot filter on with 4001.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.quickbooks.sandbox import faults
from integrations.quickbooks.sandbox.id_index import id_key
from integrations.quickbooks.sandbox.store import NAME_LISTS, canonical_entity
from integrations.quickbooks.sandbox.wire import parse_qbo_datetime

_COMMON = ("Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime")
_TXN = ("CustomerRef", "DocNumber", "TxnDate", "DueDate", "TotalAmt", "SalesTermRef", "ProjectRef")
QUERYABLE: dict[str, tuple[str, ...]] = {
    "Invoice": (*_TXN, "Balance", "EmailStatus", "PrintStatus"),
    "Estimate": (*_TXN, "ExpirationDate", "TxnStatus", "EmailStatus"),
    "CreditMemo": (
        "CustomerRef",
        "DocNumber",
        "TxnDate",
        "TotalAmt",
        "Balance",
        "RemainingCredit",
        "ProjectRef",
        "EmailStatus",
        "PrintStatus",
    ),
    "Payment": ("CustomerRef", "TxnDate", "TotalAmt", "PaymentRefNum", "ProjectRef", "UnappliedAmt"),
    "Bill": ("VendorRef", "DocNumber", "TxnDate", "DueDate", "Balance", "TotalAmt", "APAccountRef"),
    "Customer": (
        "DisplayName",
        "GivenName",
        "MiddleName",
        "FamilyName",
        "CompanyName",
        "FullyQualifiedName",
        "Active",
        "Balance",
        "PrintOnCheckName",
        "Job",
        "ParentRef",
    ),
    "Vendor": (
        "DisplayName",
        "GivenName",
        "FamilyName",
        "CompanyName",
        "Active",
        "Balance",
        "PrintOnCheckName",
    ),
    "Item": ("Name", "Type", "Sku", "FullyQualifiedName", "Active", "UnitPrice"),
    "Account": (
        "Name",
        "AccountType",
        "AccountSubType",
        "Classification",
        "FullyQualifiedName",
        "Active",
        "CurrentBalance",
    ),
    "Term": ("Name", "Active", "Type", "DueDays"),
    "PaymentMethod": ("Name", "Active", "Type"),
    "TaxCode": ("Name", "Active", "Taxable"),
    "TaxRate": ("Name", "Active"),
    "CompanyInfo": ("CompanyName",),
}
_DATE_FIELDS = {"TxnDate", "DueDate", "ExpirationDate"}
_NUMBER_FIELDS = {
    "Balance",
    "RemainingCredit",
    "TotalAmt",
    "UnappliedAmt",
    "UnitPrice",
    "CurrentBalance",
    "DueDays",
}
_BOOL_FIELDS = {"Active", "Job", "Taxable"}
_EXPECTED = '"<EOF>" "and" "iterator" "maxresults" "order" "orderby" "startposition"'
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:\\.|[^'\\])*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<ident>[A-Za-z_][A-Za-z0-9_.]*)"
    r"|(?P<op><=|>=|!=|<>|[=<>(),*]))"
)


@dataclass(frozen=True)
class Token:
    kind: str  # string | number | ident | op | eof
    text: str
    column: int

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "ident" else ""


@dataclass
class Condition:
    prop: str
    op: str  # = < > <= >= in like
    values: list[Any]


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (property, descending)
    start: int = 1
    max_results: int = 100


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            column = len(text) - len(text[pos:].lstrip()) + 1
            raise faults.query_parse_error(
                f'Lexical error at line 1, column {column}.  Encountered: "{text[column - 1]}"'
            )
        kind = match.lastgroup or "op"
        tokens.append(Token(kind, match.group(kind), match.start(kind) + 1))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", len(text) + 1))
    return tokens


def _unquote(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw[1:-1])


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def fail(self, token: Token, expected: str = _EXPECTED) -> faults.QboFault:
        return faults.query_parse_error(
            f'Encountered " "{token.text}" " at line 1, column {token.column}.\nWas expecting one of:\n    {expected}'
        )

    def keyword(self, *words: str) -> Token:
        token = self.next()
        if token.word not in words:
            raise self.fail(token, " ".join(f'"{w}"' for w in words))
        return token

    def value(self) -> Any:
        token = self.next()
        if token.kind == "string":
            return _unquote(token.text)
        if token.kind == "number":
            return Decimal(token.text)
        if token.word in ("true", "false"):
            return token.word == "true"
        raise self.fail(token, '"<STRING>" "<NUMBER>" "true" "false"')

    def condition(self) -> Condition:
        prop = self.next()
        if prop.kind != "ident":
            raise self.fail(prop, '"<IDENTIFIER>"')
        token = self.next()
        if token.word == "in":
            if self.next().text != "(":
                raise self.fail(self.tokens[self.pos - 1], '"("')
            values = [self.value()]
            while self.peek().text == ",":
                self.next()
                values.append(self.value())
            if self.next().text != ")":
                raise self.fail(self.tokens[self.pos - 1], '")" ","')
            return Condition(prop.text, "in", values)
        if token.word == "like":
            literal = self.next()
            if literal.kind != "string":
                raise self.fail(literal, '"<STRING>"')
            return Condition(prop.text, "like", [_unquote(literal.text)])
        if token.kind == "op" and token.text in ("=", "<", ">", "<=", ">="):
            return Condition(prop.text, token.text, [self.value()])
        raise self.fail(token, '"=" "<" ">" "<=" ">=" "in" "like"')

    def integer(self) -> int:
        token = self.next()
        if token.kind != "number" or "." in token.text:
            raise self.fail(token, '"<INTEGER>"')
        return int(token.text)

    def parse(self) -> Query:
        self.keyword("select")
        count = False
        if self.peek().text == "*":
            self.next()
        elif self.peek().word == "count":
            self.next()
            for expected in ("(", "*", ")"):
                token = self.next()
                if token.text != expected:
                    raise self.fail(token, f'"{expected}"')
            count = True
        else:
            raise self.fail(self.peek(), '"*" "count"')
        self.keyword("from")
        entity_token = self.next()
        entity = canonical_entity(entity_token.text) if entity_token.kind == "ident" else None
        if entity is None:
            raise faults.query_parse_error(f"Invalid context declaration : {entity_token.text}")
        query = Query(entity, count=count)
        seen: set[str] = set()
        while self.peek().kind != "eof":
            token = self.next()
            word = token.word
            if word == "where" and not seen:
                query.where.append(self.condition())
                while self.peek().word == "and":
                    self.next()
                    query.where.append(self.condition())
            elif word in ("order", "orderby") and not seen & {"order", "startposition", "maxresults"}:
                if word == "order":
                    self.keyword("by")
                query.order = self.order_list()
                word = "order"
            elif word in ("startposition", "maxresults") and word not in seen:
                number = self.integer()
                if word == "startposition":
                    query.start = number
                else:
                    query.max_results = number
            else:
                raise self.fail(token)
            seen.add(word)
        return query

    def order_list(self) -> list[tuple[str, bool]]:
        items: list[tuple[str, bool]] = []
        while True:
            prop = self.next()
            if prop.kind != "ident":
                raise self.fail(prop, '"<IDENTIFIER>"')
            descending = False
            if self.peek().word in ("asc", "desc"):
                descending = self.next().word == "desc"
            items.append((prop.text, descending))
            if self.peek().text != ",":
                return items
            self.next()


def _resolve(entity: str, prop: str) -> str:
    """Map a property as written (any case, ``Metadata``) onto the queryable name, or fail with 4001."""
    for name in (*_COMMON, *QUERYABLE.get(entity, ())):
        if name.lower() == prop.lower():
            return name
    raise faults.query_invalid(f"property '{prop}' is not queryable")


def parse_query(text: str, max_results_cap: int = 1000) -> Query:
    query = _Parser(text).parse()
    for condition in query.where:
        condition.prop = _resolve(query.entity, condition.prop)
    query.order = [(_resolve(query.entity, prop), desc) for prop, desc in query.order]
    if query.start < 1:
        raise faults.query_invalid(f"value {query.start} is too small. Min allowed value is 1")
    if query.max_results < 1:
        raise faults.query_invalid(f"value {query.max_results} is too small. Min allowed value is 1")
    if query.max_results > max_results_cap:
        raise faults.query_invalid(
            f"value {query.max_results} is too large. Max allowed value is {max_results_cap}"
        )
    return query


# ---- evaluation --------------------------------------------------------------------------------------------
def _raw(obj: dict[str, Any], prop: str) -> Any:
    node: Any = obj
    for part in prop.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    if isinstance(node, dict):  # a reference compares its id
        return node.get("value")
    return node


def _coerce(prop: str, value: Any, tz: timezone) -> Any:
    """Bring a field value or literal to a comparable Python value for ``prop``'s type."""
    if value is None:
        return None
    leaf = prop.split(".")[-1]
    try:
        if prop.startswith("MetaData."):
            return parse_qbo_datetime(str(value), tz)
        if leaf in _DATE_FIELDS:
            text = str(value)
            return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
        if leaf in _NUMBER_FIELDS:
            return Decimal(str(value))
        if leaf in _BOOL_FIELDS:
            return value if isinstance(value, bool) else str(value).lower() == "true"
    except (ValueError, InvalidOperation) as exc:
        raise faults.query_invalid(f"invalid value {value!r} for property '{prop}'") from exc
    text = str(value)
    if prop == "Id" or prop.endswith("Ref"):
        return id_key(text)
    return text.lower()


def _like(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.lower().split("%")) + "$", re.S)


def _matches(obj: dict[str, Any], condition: Condition, tz: timezone) -> bool:
    actual = _coerce(condition.prop, _raw(obj, condition.prop), tz)
    if actual is None:
        return False
    if condition.op == "like":
        return bool(_like(condition.values[0]).match(str(_raw(obj, condition.prop)).lower()))
    values = [_coerce(condition.prop, v, tz) for v in condition.values]
    if condition.op == "in":
        return actual in values
    expected = values[0]
    if isinstance(actual, datetime) != isinstance(expected, datetime) or type(actual) is not type(expected):
        return False
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b,
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
    }
    return comparisons[condition.op](actual, expected)


def default_active_filter(query: Query) -> bool:
    """Name lists answer active records only unless the WHERE clause asks about Active."""
    return query.entity in NAME_LISTS and not any(c.prop == "Active" for c in query.where)


def keeps(query: Query, row: dict[str, Any], tz: timezone) -> bool:
    """Whether ``row`` is in the query's answer (its default Active filter and every condition)."""
    if default_active_filter(query) and row.get("Active", True) is False:
        return False
    return all(_matches(row, c, tz) for c in query.where)


def coerce_literals(condition: Condition, tz: timezone) -> list[Any]:
    return [_coerce(condition.prop, v, tz) for v in condition.values]


def _row_key(prop: str, tz: timezone, obj: dict[str, Any]) -> tuple[int, Any]:
    return _sort_key(prop, obj, tz)


def _sort_key(prop: str, obj: dict[str, Any], tz: timezone) -> tuple[int, Any]:
    value = _coerce(prop, _raw(obj, prop), tz)
    return (0, 0) if value is None else (1, value)


def run_query(
    query: Query,
    rows: Iterable[dict[str, Any]],
    tz: timezone,
    present: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """The ``QueryResponse`` body for ``query`` over one entity's rows."""
    selected = [row for row in rows if keeps(query, row, tz)]
    if query.count:
        return {"totalCount": len(selected)}
    selected.sort(key=lambda row: _sort_key("Id", row, tz))
    for prop, descending in reversed(query.order):  # stable sorts, last key first
        selected.sort(key=functools.partial(_row_key, prop, tz), reverse=descending)
    return page_response(query, selected[query.start - 1 : query.start - 1 + query.max_results], present)


def page_response(
    query: Query, page: list[dict[str, Any]], present: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    if not page:
        return {}
    return {
        query.entity: [present(row) for row in page],
        "startPosition": query.start,
        "maxResults": len(page),
    }
