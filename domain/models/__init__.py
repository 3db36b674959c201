"""All mapped tables; importing this package registers them on ``Base.metadata``."""

from domain.models.approvals import Approval, ApprovalStatus
from domain.models.audit import AuditLog
from domain.models.catalog import Account, Customer, Item, ItemType, TaxRate, Term, Vendor
from domain.models.connection import ConnectionStatus, QboConnection
from domain.models.identity_extra import ChatThread, IdempotencyRecord, TurnLease
from domain.models.oauth_state import OAuthState
from domain.models.payments import Bill, Payment, PaymentApplication, PaymentMethod, WriteOff
from domain.models.rate_limit import QboRateRealm, QboRateSlot
from domain.models.sales import (
    Estimate,
    EstimateLine,
    EstimateStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineType,
)
from domain.models.sync import (
    AccountMapping,
    ConflictStatus,
    MappingReview,
    RealmLease,
    SyncAlert,
    SyncConflict,
    SyncDirection,
    SyncJob,
    SyncJobStatus,
    SyncRecord,
    SyncRun,
    SyncState,
    WebhookEvent,
)
from domain.models.tenancy import ApiKey, Role, Tenant, User

__all__ = [
    "Account",
    "AccountMapping",
    "ApiKey",
    "Approval",
    "ApprovalStatus",
    "AuditLog",
    "Bill",
    "ChatThread",
    "ConflictStatus",
    "ConnectionStatus",
    "Customer",
    "Estimate",
    "EstimateLine",
    "EstimateStatus",
    "IdempotencyRecord",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Item",
    "ItemType",
    "LineType",
    "MappingReview",
    "OAuthState",
    "Payment",
    "PaymentApplication",
    "PaymentMethod",
    "QboConnection",
    "QboRateRealm",
    "QboRateSlot",
    "RealmLease",
    "Role",
    "SyncAlert",
    "SyncConflict",
    "SyncDirection",
    "SyncJob",
    "SyncJobStatus",
    "SyncRecord",
    "SyncRun",
    "SyncState",
    "TaxRate",
    "Tenant",
    "Term",
    "TurnLease",
    "User",
    "Vendor",
    "WebhookEvent",
    "WriteOff",
]
