"""Where an estimate stands, in the words staff and QBO use — defined once for chat, REST and the QBO compiler.

- pending: out with the customer, no answer yet (our draft, sent, viewed; QBO TxnStatus Pending)
- accepted: the customer said yes and it is not invoiced yet (approved; Accepted)
- open: still live work — pending or accepted, i.e. neither closed nor rejected
- closed: done with — turned into an invoice or expired (converted, expired; Closed)
- rejected: the customer said no (rejected; Rejected)
"""

from __future__ import annotations

from domain.intent import IntentStatus
from domain.models import EstimateStatus

STAGES: dict[IntentStatus, tuple[EstimateStatus, ...]] = {
    IntentStatus.PENDING: (EstimateStatus.DRAFT, EstimateStatus.SENT, EstimateStatus.VIEWED),
    IntentStatus.ACCEPTED: (EstimateStatus.APPROVED,),
    IntentStatus.CLOSED: (EstimateStatus.CONVERTED, EstimateStatus.EXPIRED),
    IntentStatus.REJECTED: (EstimateStatus.REJECTED,),
}
STAGES[IntentStatus.OPEN] = STAGES[IntentStatus.PENDING] + STAGES[IntentStatus.ACCEPTED]
STAGE_NAMES = tuple(s.value for s in STAGES)

# QBO's TxnStatus values for each stage (open is two of them).
TXN_STATUSES: dict[IntentStatus, tuple[str, ...]] = {
    IntentStatus.PENDING: ("Pending",),
    IntentStatus.ACCEPTED: ("Accepted",),
    IntentStatus.CLOSED: ("Closed",),
    IntentStatus.REJECTED: ("Rejected",),
    IntentStatus.OPEN: ("Pending", "Accepted"),
}
# Each of our lifecycle states as QBO's TxnStatus label.
TXN_STATUS_LABEL: dict[EstimateStatus, str] = {
    status: TXN_STATUSES[stage][0]
    for stage in (IntentStatus.PENDING, IntentStatus.ACCEPTED, IntentStatus.CLOSED, IntentStatus.REJECTED)
    for status in STAGES[stage]
}


def stage_of(status: EstimateStatus | str) -> str:
    """The narrow stage of a lifecycle state: pending, accepted, closed or rejected."""
    return TXN_STATUS_LABEL.get(EstimateStatus(status), "Pending").lower()


def statuses_for(
    stage: str | None, status: EstimateStatus | None
) -> tuple[EstimateStatus, ...] | EstimateStatus | None:
    """The lifecycle states a list asks for: a stage's states, narrowed to ``status`` when both are given."""
    if stage is None:
        return status
    states = STAGES[IntentStatus(stage)]
    return tuple(s for s in states if status is None or s == status)
