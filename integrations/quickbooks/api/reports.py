"""QBO report JSON (Header / Columns / Rows) → plain data: the aging as domain.aging's AgingReport, other reports
as labelled rows with Decimal amounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from domain.aging import BUCKETS, AgingReport, AgingRow
from domain.money import to_decimal

ZERO = Decimal("0")


def _cell_amount(cell: dict[str, Any]) -> Decimal:
    value = str(cell.get("value") or "").replace(",", "")
    return to_decimal(value) if value else ZERO


def _option(report: dict[str, Any], name: str) -> str | None:
    for option in (report.get("Header") or {}).get("Option") or []:
        if option.get("Name") == name:
            return str(option.get("Value"))
    return None


def _rows(block: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list(((block or {}).get("Rows") or {}).get("Row") or [])


def as_of(report: dict[str, Any]) -> date:
    header = report.get("Header") or {}
    raw = _option(report, "report_date") or header.get("EndPeriod")
    return date.fromisoformat(str(raw)[:10])


def parse_aging(report: dict[str, Any]) -> AgingReport:
    """AgedReceivables → per-customer buckets and the grand total (columns: name, 5 buckets, total)."""
    rows: list[AgingRow] = []
    totals = AgingRow("", "TOTAL")
    for row in _rows(report):
        if row.get("group") == "GrandTotal":
            cells = (row.get("Summary") or {}).get("ColData") or []
            totals.buckets = [_cell_amount(c) for c in cells[1 : 1 + len(BUCKETS)]]
            continue
        cells = row.get("ColData") or []
        if not cells:
            continue
        aging = AgingRow(str(cells[0].get("id") or ""), str(cells[0].get("value") or ""))
        aging.buckets = [_cell_amount(c) for c in cells[1 : 1 + len(BUCKETS)]]
        rows.append(aging)
    return AgingReport(as_of(report), rows, totals)


def _walk(rows: list[dict[str, Any]], depth: int) -> Iterator[tuple[int, str, str, list[str]]]:
    for row in rows:
        if row.get("ColData"):
            cells = [str(c.get("value") or "") for c in row["ColData"]]
            yield depth, "row", cells[0], cells[1:]
            continue
        header = (row.get("Header") or {}).get("ColData")
        if header:
            yield depth, "section", str(header[0].get("value") or ""), []
        yield from _walk(_rows(row), depth + 1)
        summary = (row.get("Summary") or {}).get("ColData")
        if summary:
            cells = [str(c.get("value") or "") for c in summary]
            yield depth, "total", cells[0], cells[1:]


def flatten(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row and total of any report, in order: ``{"depth", "kind", "label", "values"}``."""
    return [
        {"depth": depth, "kind": kind, "label": label, "values": values}
        for depth, kind, label, values in _walk(_rows(report), 0)
    ]


def summary_value(report: dict[str, Any], group: str) -> Decimal | None:
    """The total of a top-level section by its group ("NetIncome", "Income", "GrandTotal")."""
    for row in _rows(report):
        if row.get("group") == group:
            cells = (row.get("Summary") or {}).get("ColData") or []
            return _cell_amount(cells[-1]) if cells else ZERO
    return None
