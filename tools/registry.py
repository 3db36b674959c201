"""The agent's tool set, built from injected dependencies (never at import time)."""

from __future__ import annotations

from tools.acceptance import AcceptEstimate
from tools.base import BooksTool, Toolbox, ToolDeps
from tools.customers import CreateCustomer
from tools.documents import ConvertEstimate, SendEstimate, SendInvoice, VoidInvoice, WriteOffInvoice
from tools.estimating import DraftEstimate, UpdateEstimate
from tools.payments import RecordPayment
from tools.read import GetCustomer, GetEstimate, GetInvoice, ListItems, QueryBooks
from tools.reports import ReadReport


def all_tools() -> list[BooksTool]:
    return [
        QueryBooks(),
        GetInvoice(),
        GetEstimate(),
        GetCustomer(),
        ListItems(),
        ReadReport(),
        DraftEstimate(),
        UpdateEstimate(),
        SendEstimate(),
        AcceptEstimate(),
        ConvertEstimate(),
        SendInvoice(),
        RecordPayment(),
        VoidInvoice(),
        WriteOffInvoice(),
        CreateCustomer(),
    ]


def make_toolbox(deps: ToolDeps) -> Toolbox:
    return Toolbox(tools=all_tools(), deps=deps)
