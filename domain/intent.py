"""QboIntent: the read-query contract between language and data (DESIGN §3.1).

A model (or the offline parser) produces one; the QBO compiler and the local executor both run it with the same
semantics. Validation messages go back to the model verbatim so it can correct itself, hence the plain wording.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)


class Operation(enum.StrEnum):
    LIST_INVOICES = "LIST_INVOICES"
    GET_INVOICE = "GET_INVOICE"
    LIST_ESTIMATES = "LIST_ESTIMATES"
    GET_ESTIMATE = "GET_ESTIMATE"
    LIST_PAYMENTS = "LIST_PAYMENTS"
    LIST_BILLS = "LIST_BILLS"
    LIST_CUSTOMERS = "LIST_CUSTOMERS"
    GET_CUSTOMER = "GET_CUSTOMER"
    LIST_ITEMS = "LIST_ITEMS"


class IntentStatus(enum.StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    PAID = "paid"
    PARTIAL = "partial"
    PENDING = "pending"
    ACCEPTED = "accepted"
    CLOSED = "closed"
    REJECTED = "rejected"


Aggregate = Literal["sum", "count"]
GroupBy = Literal["customer", "vendor"]
SortField = Literal["amount", "balance", "count", "daysOverdue", "date"]
SortDirection = Literal["asc", "desc"]
# The ranking keys are an additive extension of DESIGN §3.1: absent from the JSON when null, so every
# intent that does not rank reads and writes exactly as before.
RANKING_KEYS = ("groupBy", "sort", "limit")

BALANCE_STATUSES = frozenset(
    {IntentStatus.OPEN, IntentStatus.OVERDUE, IntentStatus.PAID, IntentStatus.PARTIAL}
)
# Estimates: "open" = pending or accepted (still live work); the words are defined in domain.estimate_stages.
ESTIMATE_STATUSES = frozenset(
    {
        IntentStatus.OPEN,
        IntentStatus.PENDING,
        IntentStatus.ACCEPTED,
        IntentStatus.CLOSED,
        IntentStatus.REJECTED,
    }
)
# Statuses whose amounts are about what is still owed, so bounds and sums use Balance instead of TotalAmt.
OWED_STATUSES = frozenset({IntentStatus.OPEN, IntentStatus.OVERDUE, IntentStatus.PARTIAL})

TRANSACTION_OPERATIONS = frozenset(
    {
        Operation.LIST_INVOICES,
        Operation.GET_INVOICE,
        Operation.LIST_ESTIMATES,
        Operation.GET_ESTIMATE,
        Operation.LIST_PAYMENTS,
        Operation.LIST_BILLS,
    }
)
GET_OPERATIONS = frozenset({Operation.GET_INVOICE, Operation.GET_ESTIMATE, Operation.GET_CUSTOMER})
_STATUS_BY_OPERATION: dict[Operation, frozenset[IntentStatus]] = {
    Operation.LIST_INVOICES: BALANCE_STATUSES,
    Operation.GET_INVOICE: BALANCE_STATUSES,
    Operation.LIST_BILLS: BALANCE_STATUSES,
    Operation.LIST_ESTIMATES: ESTIMATE_STATUSES,
    Operation.GET_ESTIMATE: ESTIMATE_STATUSES,
}
# Payments carry no DocNumber filter in QBO, and name lists have none at all.
_DOC_NUMBER_OPERATIONS = frozenset(
    {
        Operation.GET_INVOICE,
        Operation.GET_ESTIMATE,
        Operation.LIST_INVOICES,
        Operation.LIST_ESTIMATES,
        Operation.LIST_BILLS,
    }
)
_CUSTOMER_OPERATIONS = frozenset(TRANSACTION_OPERATIONS - {Operation.LIST_BILLS}) | {
    Operation.LIST_CUSTOMERS,
    Operation.GET_CUSTOMER,
}
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


def _json_number(value: Decimal | None) -> int | float | None:
    """JSON wants a number, not a string; amounts here are bounds with at most cents, so this is exact enough."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


class IntentFilters(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        str_strip_whitespace=True,
    )

    customer_name: str | None = Field(default=None, alias="customerName", max_length=200)
    vendor_name: str | None = Field(default=None, alias="vendorName", max_length=200)
    status: IntentStatus | None = None
    date_from: date | None = Field(default=None, alias="dateFrom")
    date_to: date | None = Field(default=None, alias="dateTo")
    min_amount: Decimal | None = Field(default=None, alias="minAmount")
    max_amount: Decimal | None = Field(default=None, alias="maxAmount")
    doc_number: str | None = Field(default=None, alias="docNumber", max_length=21)

    @field_validator("customer_name", "vendor_name", "doc_number", mode="after")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("status", mode="before")
    @classmethod
    def _status_case(cls, value: Any) -> Any:
        # Models often echo QBO's capitalised "Open" / "Pending"; the meaning is the same.
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("min_amount", "max_amount", mode="after")
    @classmethod
    def _amount_bounds(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        if not value.is_finite():
            raise ValueError("amount must be a finite number")
        if value < 0:
            raise ValueError("amount must be 0 or more")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> IntentFilters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(
                f"dateFrom ({self.date_from.isoformat()}) is after dateTo ({self.date_to.isoformat()}); "
                "swap them or drop one"
            )
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise ValueError(f"minAmount ({self.min_amount}) is greater than maxAmount ({self.max_amount})")
        return self

    @field_serializer("min_amount", "max_amount", when_used="json")
    def _amount_json(self, value: Decimal | None) -> int | float | None:
        return _json_number(value)


class Pagination(BaseModel):
    model_config = ConfigDict(
        extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, alias="pageSize", ge=1, le=MAX_PAGE_SIZE)

    @property
    def start_position(self) -> int:
        """QBO's STARTPOSITION is 1-based."""
        return (self.page - 1) * self.page_size + 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class Sort(BaseModel):
    """How to order the rows (or the groups): ``amount`` is the same field bounds and sums use."""

    model_config = ConfigDict(extra="forbid")

    field: SortField
    direction: SortDirection = "desc"

    @field_validator("field", "direction", mode="before")
    @classmethod
    def _case(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        return "daysOverdue" if text.lower().replace("_", "") == "daysoverdue" else text.lower()


class QboIntent(BaseModel):
    """One read question, structured. ``model_dump()`` has the keys of DESIGN §3.1, plus the ranking keys
    (``groupBy``, ``sort``, ``limit``) only when they are set."""

    model_config = ConfigDict(
        extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    operation: Operation
    filters: IntentFilters = Field(default_factory=IntentFilters)
    aggregate: Aggregate | None = None
    pagination: Pagination = Field(default_factory=Pagination)
    group_by: GroupBy | None = Field(
        default=None, alias="groupBy", description="Group the matches by party, one row per customer/vendor"
    )
    sort: Sort | None = Field(default=None, description="Order rows (or groups); default newest first")
    limit: int | None = Field(
        default=None, ge=1, le=MAX_PAGE_SIZE, description="Keep only the first N after sorting (top-N)"
    )

    @field_validator("operation", mode="before")
    @classmethod
    def _operation_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("aggregate", mode="before")
    @classmethod
    def _aggregate_case(cls, value: Any) -> Any:
        return value.strip().lower() or None if isinstance(value, str) else value

    @field_validator("group_by", mode="before")
    @classmethod
    def _group_case(cls, value: Any) -> Any:
        return value.strip().lower() or None if isinstance(value, str) else value

    @model_serializer(mode="wrap")
    def _drop_unset_ranking(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in (*RANKING_KEYS, "group_by"):
            if key in data and data[key] is None:
                del data[key]
        return data

    @property
    def ranked(self) -> bool:
        """Grouped, sorted or cut to top-N: the answer needs every match before it can be paged."""
        return self.group_by is not None or self.sort is not None or self.limit is not None

    @model_validator(mode="after")
    def _fits_operation(self) -> QboIntent:
        problems = operation_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def amount_field(self) -> str:
        """Which QBO field amount bounds and sums use (DESIGN §3.1)."""
        if self.operation in {Operation.LIST_INVOICES, Operation.GET_INVOICE, Operation.LIST_BILLS} and (
            self.filters.status in OWED_STATUSES
        ):
            return "Balance"
        return "TotalAmt"

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready dict (dates as strings, amounts as numbers)."""
        return self.model_dump(mode="json")


def operation_problems(intent: QboIntent) -> list[str]:
    """Every way the filters do not fit the operation, worded for whoever wrote the intent."""
    op = intent.operation
    f = intent.filters
    problems: list[str] = []
    allowed_status = _STATUS_BY_OPERATION.get(op, frozenset())
    if f.status is not None and f.status not in allowed_status:
        if allowed_status:
            names = ", ".join(sorted(s.value for s in allowed_status))
            problems.append(f"status '{f.status.value}' does not apply to {op.value}; use one of: {names}")
        else:
            problems.append(f"{op.value} takes no status filter")
    if f.doc_number is not None and op not in _DOC_NUMBER_OPERATIONS:
        problems.append(
            f"docNumber only applies to GET_INVOICE, GET_ESTIMATE or invoice/estimate/bill lists, not {op.value}"
        )
    if op in {Operation.GET_INVOICE, Operation.GET_ESTIMATE} and f.doc_number is None:
        problems.append(f"{op.value} needs docNumber (the document number, e.g. '1042')")
    if op is Operation.GET_CUSTOMER and f.customer_name is None:
        problems.append("GET_CUSTOMER needs customerName")
    if f.vendor_name is not None and op is not Operation.LIST_BILLS:
        problems.append(f"vendorName only applies to LIST_BILLS, not {op.value}")
    if f.customer_name is not None and op not in _CUSTOMER_OPERATIONS:
        problems.append(f"customerName does not apply to {op.value}")
    if op not in TRANSACTION_OPERATIONS:
        if f.date_from is not None or f.date_to is not None:
            problems.append(f"{op.value} has no dates; drop dateFrom/dateTo")
        if f.min_amount is not None or f.max_amount is not None:
            problems.append(f"{op.value} has no amounts; drop minAmount/maxAmount")
    if intent.aggregate == "sum" and op not in TRANSACTION_OPERATIONS - GET_OPERATIONS:
        problems.append(f"sum only applies to invoice, estimate, payment or bill lists, not {op.value}")
    if intent.aggregate is not None and op in GET_OPERATIONS:
        problems.append(f"{op.value} fetches one record; aggregate must be null")
    problems += _ranking_problems(intent)
    return problems


_GROUP_BY_OPERATION = {
    Operation.LIST_INVOICES: "customer",
    Operation.LIST_ESTIMATES: "customer",
    Operation.LIST_PAYMENTS: "customer",
    Operation.LIST_BILLS: "vendor",
}
_BALANCE_SORTS = frozenset({"balance", "daysOverdue"})


def _ranking_problems(intent: QboIntent) -> list[str]:
    op = intent.operation
    problems: list[str] = []
    if intent.ranked and op not in _GROUP_BY_OPERATION:
        problems.append(
            f"groupBy, sort and limit apply to invoice, estimate, payment or bill lists, not {op.value}"
        )
        return problems
    if intent.group_by is not None and intent.group_by != _GROUP_BY_OPERATION[op]:
        problems.append(f"{op.value} groups by {_GROUP_BY_OPERATION[op]}, not {intent.group_by}")
    sort = intent.sort
    if sort is not None:
        if sort.field in _BALANCE_SORTS and op not in {Operation.LIST_INVOICES, Operation.LIST_BILLS}:
            problems.append(f"sort by {sort.field} applies to invoices and bills only, not {op.value}")
        if sort.field == "count" and intent.group_by is None:
            problems.append("sort by count needs groupBy (it counts the records of each group)")
    return problems


@dataclass(frozen=True, slots=True)
class AggregateValue:
    """The result of ``aggregate``: a Decimal sum of money, or a count of records."""

    kind: Aggregate
    value: Decimal

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": _json_number(self.value)}


def intent_json_schema() -> dict[str, Any]:
    """JSON schema for tool arguments (camelCase keys, as the model must write them)."""
    return QboIntent.model_json_schema(by_alias=True, mode="validation")


def parse_intent_json(data: dict[str, Any] | str) -> QboIntent:
    """Validate a model's arguments; raises pydantic.ValidationError with messages meant for the model."""
    if isinstance(data, str):
        return QboIntent.model_validate_json(data)
    return QboIntent.model_validate(data)


def explain_validation_error(exc: ValidationError) -> str:
    """One line per problem, with the JSON path, short enough to hand back to a model."""
    lines = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "intent"
        message = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "; ".join(lines)
