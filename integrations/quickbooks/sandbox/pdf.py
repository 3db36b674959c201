"""A small but valid one-page PDF of a sales form, like the ``/pdf`` endpoint returns."""

from __future__ import annotations

from typing import Any


def _escape(text: str) -> str:
    ascii_text = text.encode("latin-1", "replace").decode("latin-1")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _lines_for(entity: str, obj: dict[str, Any], company: str) -> list[str]:
    lines = [company, f"{entity} {obj.get('DocNumber') or obj.get('Id')}", f"Date: {obj.get('TxnDate', '')}"]
    customer = (obj.get("CustomerRef") or {}).get("name") or (obj.get("CustomerRef") or {}).get("value", "")
    lines.append(f"Bill to: {customer}")
    if obj.get("DueDate"):
        lines.append(f"Due: {obj['DueDate']}")
    lines.append("")
    for line in obj.get("Line") or []:
        detail = line.get("SalesItemLineDetail") or {}
        if line.get("DetailType") == "SalesItemLineDetail":
            name = (detail.get("ItemRef") or {}).get("name") or line.get("Description") or "Item"
            lines.append(
                f"{name}  {detail.get('Qty', '')} x {detail.get('UnitPrice', '')}  = {line.get('Amount')}"
            )
        elif line.get("DetailType") == "SubTotalLineDetail":
            lines.append(f"Subtotal: {line.get('Amount')}")
    tax = (obj.get("TxnTaxDetail") or {}).get("TotalTax")
    if tax is not None:
        lines.append(f"Tax: {tax}")
    lines.append(f"Total: {obj.get('TotalAmt', '')}")
    if "RemainingCredit" in obj:
        lines.append(f"Remaining credit: {obj['RemainingCredit']}")
    elif "Balance" in obj:
        lines.append(f"Balance due: {obj['Balance']}")
    return lines


def render_pdf(entity: str, obj: dict[str, Any], company: str) -> bytes:
    text_ops = ["BT", "/F1 11 Tf", "14 TL", "50 760 Td"]
    for line in _lines_for(entity, obj, company):
        text_ops.append(f"({_escape(line)}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
