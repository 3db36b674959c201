"""The words of bookkeeping questions: which record kind, which status, which aggregate.

Everything here is general English and trade-office vocabulary; nothing knows a company's names. The word list
also tells the name finder what is *not* a name.
"""

from __future__ import annotations

import re

from domain.intent import IntentStatus, Operation

# Entity nouns and verbs, strongest first. The first family that matches decides the record kind.
ESTIMATE_WORDS = re.compile(
    r"\b(?:estimates?|estimated|quotes?|quotations?|quoted|bids?|proposals?|tenders?|ests?)\b", re.I
)
BILL_WORDS = re.compile(
    r"\b(?:(?<!we\s)(?<!to\s)bills?(?!ed|ing)|payables?|a/p|ap|accounts\s+payable|vendor\s+invoices?|supplier\s+invoices?|"
    r"purchase\s+invoices?|vendors?|suppliers?|subcontractors?|subs)\b|\bwe\s+(?:still\s+)?owe\b|\bdo\s+we\s+owe\b|"
    r"\bowe\s+(?:to\s+)?(?:our\s+)?(?:vendors?|suppliers?)\b|\bdue\s+to\s+vendors?\b|"
    r"\b(?:we|did\s+we|have\s+we)\s+(?:pay|paid|spend|spent)\b|\bspend(?:ing)?\b|\bspent\b|\bexpenses?\b",
    re.I,
)
PAYMENT_NOUNS = re.compile(
    r"\b(?:(?<!partial\s)(?<!partially\s)(?<!late\son\s)(?<!behind\son\s)(?<!late\swith\s)(?<!their\s)payments?|"
    r"receipts?|remittances?|deposits?|checks?\s+received)\b",
    re.I,
)
INVOICE_WORDS = re.compile(
    r"\b(?:invoices?|invoiced|inv|receivables?|a/r|ar|accounts\s+receivable|billed|billing|"
    r"(?:did|do|have)\s+we\s+bill|sales|revenue|income|earnings|turnover|"
    r"(?:did|have|do)\s+we\s+(?:make|made|earn|earned|bring\s+in|brought\s+in))\b",
    re.I,
)
PAYMENT_VERBS = re.compile(
    r"\b(?:paid\s+(?:us|me|up\s+to\s+us)|pay\s+(?:us|me)|pays\s+us|received|receive|collected|collect|"
    r"(?:sent|send|sends|wired|transferred|remitted|mailed)\s+(?:us|me)\b|"
    r"came\s+in|come\s+in|brought\s+in|took\s+in|incoming|money\s+in|got\s+paid|(?:been|get|gotten)\s+paid|"
    r"(?:did|has|have|had)\s+(?:\S+\s+){0,4}?pa(?:y|id|ys)\b(?!\s+(?:invoices?|bills?))|(?:did|has|have)\s+(?:\S+\s+)?(?:send|sent)\s+(?:us\s+)?(?:money|a\s+check|payment))",
    re.I,
)
OWED_TO_US = re.compile(
    r"\b(?:owes?\s+us|owed\s+(?:to\s+)?us|owing\s+(?:to\s+)?us|owe\s+(?:us|me)|(?:customers?|clients?)\s+owe|"
    r"unpaid|outstanding|overdue|past\s+due|late|delinquent|partially\s+paid|part\s+paid|partly\s+paid|partial\s+payments?|"
    r"owe|owes|owed|owing|due|in\s+arrears|a\s+balance|(?:open|outstanding|current|unpaid)\s+balances?|"
    r"(?:hasn't|haven't|has\s+not|have\s+not|didn't|did\s+not)\s+(?:\S+\s+)?paid|behind\s+on)\b",
    re.I,
)
ITEM_WORDS = re.compile(
    r"\b(?:items?|products?|services?|price\s*list|pricelist|price\s+book|pricebook|catalog(?:ue)?|rates?|"
    r"pricing|prices?|parts?|materials?|skus?|what\s+do\s+we\s+(?:charge|sell|offer)|"
    r"how\s+much\s+do\s+we\s+charge|what\s+we\s+(?:charge|sell|offer)|cost\s+of|costs?|"
    r"how\s+much\s+(?:is|are|for)\s+(?:a|an|the|one|our)\b)\b",
    re.I,
)
CUSTOMER_WORDS = re.compile(r"\b(?:customers?|clients?|accounts?|homeowners?|contacts?)\b", re.I)
CUSTOMER_LOOKUP = re.compile(
    r"\b(?:find|look\s*up|lookup|look\s+for|search(?:\s+for)?|details?|info(?:rmation)?|contact|"
    r"phone|email|address|who\s+is|who's|tell\s+me\s+about|profile|record|show(?:\s+me)?|pull\s+up|display)\b",
    re.I,
)

# Statuses. Order matters: "partially paid" before "paid", "past due" before "due", "not accepted" before "accepted".
BALANCE_STATUS_PATTERNS: list[tuple[IntentStatus, re.Pattern[str]]] = [
    (
        IntentStatus.PARTIAL,
        re.compile(r"\b(?:partial(?:ly)?|part(?:ly)?)[\s-]*(?:paid|payments?)\b|\bpartials?\b", re.I),
    ),
    (
        IntentStatus.OVERDUE,
        re.compile(
            r"\b(?:over[\s-]?due|past[\s-]?due|late|delinquent|in\s+arrears|behind|aged|aging|"
            r"(?:have|has)\s+(?:not|n't)\s+paid\s+on\s+time|not\s+paid\s+on\s+time)\b",
            re.I,
        ),
    ),
    (
        IntentStatus.OPEN,
        re.compile(
            r"\b(?:unpaid|un-paid|outstanding|open|due|owe[sd]?|owing|unsettled|uncollected|receivables?|payables?|"
            r"(?:not|n't)\s+(?:yet\s+|been\s+|yet\s+been\s+|fully\s+)?(?:paid|settled)|still\s+(?:owe|due|open)|"
            r"with\s+(?:a|an\s+open)\s+balance|balance\s+due|awaiting\s+payment|waiting\s+(?:on|for)\s+payment|"
            r"balances?(?!\s+of\s+(?:0|zero)))\b"
            r"|n't\s+(?:yet\s+|been\s+|yet\s+been\s+|fully\s+)?(?:paid|settled)\b",
            re.I,
        ),
    ),
    (
        IntentStatus.PAID,
        re.compile(
            r"\b(?:paid(?:\s+in\s+full|\s+off|\s+up)?|fully\s+paid|settled|closed|cleared|collected|cashed)\b",
            re.I,
        ),
    ),
]
ESTIMATE_STATUS_PATTERNS: list[tuple[IntentStatus, re.Pattern[str]]] = [
    # "open" estimates are pending or accepted-but-not-invoiced (domain.estimate_stages), so they come first.
    (
        IntentStatus.OPEN,
        re.compile(
            r"\b(?:open|outstanding|active|live|in\s+play)\b(?!\s+(?:for|to)\s+(?:an?\s+)?answer)", re.I
        ),
    ),
    (
        IntentStatus.PENDING,
        re.compile(
            r"\b(?:pending|awaiting|waiting|undecided|unanswered|open|outstanding|still\s+out|out\s+for|"
            r"(?:not|n't|never)\s+(?:yet\s+|been\s+|yet\s+been\s+)?(?:accepted|approved|signed|answered|"
            r"decided|responded|heard)|no\s+(?:answer|response|reply|decision)(?:\s+yet)?|haven't\s+heard|"
            r"in\s+play|live|active|open|(?:have|still)\s+out|out\s+(?:right\s+now|there|now))\b",
            re.I,
        ),
    ),
    (
        IntentStatus.REJECTED,
        re.compile(
            r"\b(?:rejected|declined|lost|turned\s+down|refused|denied|said\s+no|passed\s+on|cancel(?:l)?ed|dead|"
            r"(?:did|has|have)\W+(?:\S+\W+){0,4}?(?:reject|decline|turn\s+down|refuse|pass\s+on|lose))\b",
            re.I,
        ),
    ),
    (
        IntentStatus.ACCEPTED,
        re.compile(
            r"\b(?:accepted|approved|won|win|signed|agreed|said\s+yes|green[\s-]?lit|booked|sold|winning|wins|"
            r"(?:did|has|have)\W+(?:\S+\W+){0,4}?(?:accept|approve|sign|agree\s+to|say\s+yes\s+to))\b",
            re.I,
        ),
    ),
    (
        IntentStatus.CLOSED,
        re.compile(
            r"\b(?:closed|converted|invoiced|turned\s+into\s+(?:an\s+)?invoices?|completed|done|finished)\b",
            re.I,
        ),
    ),
]

COUNT_WORDS = re.compile(
    r"\b(?:how\s+many|number\s+of|count(?:\s+of)?|tally|quantity\s+of)\b|#\s*of\b|\bcount\b", re.I
)
SUM_WORDS = re.compile(
    r"\b(?:how\s+much|total(?:s|led|ing)?|sum(?:\s+of)?|add(?:ed)?\s+up|added\s+together|combined|"
    r"in\s+total|altogether|all\s+together|total\s+value|dollar\s+value|the\s+value\s+of|amount\s+(?:owed|outstanding|due|we)|"
    r"(?:what|how)\s+much\s+money|grand\s+total|aggregate|"
    r"(?:what(?:'s|\s+is|\s+are)|how\s+big\s+is|tell\s+me)\W+"
    r"(?:(?:the|their|his|her|its|our|total|current|outstanding|open)\W+)*balances?)\b",
    re.I,
)

OPERATION_EXAMPLES = (
    "unpaid invoices from last month over $1,000",
    "how much did ACME Corp pay us this quarter?",
    "show invoice 1042",
    "pending estimates for Greenfield",
    "bills from Ferguson Supply last year",
    "how many overdue invoices do we have?",
    "find customer Bob's Bakery",
    "what's in our price list?",
)

# Words that are never (the start of) a customer or vendor name. General English plus our domain words.
_FUNCTION = """
a an the of for from by to with without in on at about into onto over under above below between among through
throughout during before after since until till upon per via and or nor but if then than so as is are was were
be been being am do does did done doing have has had having i me my mine myself we us our ours ourselves you
your yours they them their theirs it its this that these those there here what whats what's which who whom whose
when where why how any all every each some no not none only just also still yet already ever please can could
would should will shall may might must let lets let's give gimme get got getting show shows showing see seen
list lists listing find finding look looking lookup up pull bring display tell told know want need needs like
check fetch return print run search me thanks thank hi hello hey ok okay right now currently anything something
everything nothing stuff things thing one ones other others another same much many more most less least few
fewer lot lots quite very really too also again else out off down back too well kindly quick quickly total
totals sum count number numbers amount amounts value values balance balances money cash dollars dollar bucks
usd grand k revenue income sales figure figures report reports summary breakdown overview record records
document documents detail details info information contact email phone address addresses name names named
called say says said s t don't doesn't didn't haven't hasn't isn't aren't wasn't weren't won't can't couldn't
it's that's there's here's who's where's how's i'm we're we've we'd i'd you're they're
accept approve reject decline refuse lose sign spend spent spending expense expenses
status state progress history activity latest update updates summary happening happened going on
yes no yeah nope sure pls plz thx ty asap btw fyi lol quick real quick rn
"""
_DOMAIN = """
invoice invoices invoiced invoicing inv estimate estimates estimated quote quotes quoted quotation quotations
bid bids proposal proposals tender tenders est ests payment payments pay pays paid paying payer receipt
receipts remittance remittances deposit deposits check checks bill bills billed billing payable payables
receivable receivables a/r a/p customer customers client clients account accounts homeowner homeowners vendor
vendors supplier suppliers subcontractor subcontractors sub subs item items product products service services
price prices pricing pricelist catalog catalogue rate rates part parts material materials sku skus job jobs
work order orders transaction transactions doc docs
unpaid outstanding open opened due overdue late past delinquent arrears behind aged aging partial partially
partly part settled unsettled closed cleared collected uncollected cashed pending awaiting waiting undecided
unanswered accepted approved won win wins winning signed agreed rejected declined lost refused denied turned
converted completed finished done dead active inactive live sent send sending issued issue created create made
make raised written wrote dated owe owes owed owing receive received collect came come brought took incoming
charge charged charging sell sold offer offered booked green lit full fully still outstanding
day days week weeks month months quarter quarters year years today yesterday tomorrow ago recent recently
latest newest oldest older old new last next previous prior current this past so far date dates dated ytd mtd
qtd fy early late mid beginning end start starting ending
over under above below greater bigger larger higher lower smaller cheaper exceeding least most exactly minimum
maximum min max north south upwards within
first second third fourth q1 q2 q3 q4
"""
VOCABULARY = frozenset(_FUNCTION.split()) | frozenset(_DOMAIN.split())


def is_vocabulary(word: str) -> bool:
    """True when *word* is ordinary question language rather than part of a name."""
    lowered = word.lower().strip(".,;:!?\"'()")
    if lowered in VOCABULARY:
        return True
    base = re.sub(r"['’]s$", "", lowered)
    return base in VOCABULARY and base != lowered


def detect_operation(text: str, *, has_doc_number: bool, vendor_hint: bool) -> Operation | None:
    """The record kind a question is about, or None when nothing says."""
    if ESTIMATE_WORDS.search(text):
        return Operation.GET_ESTIMATE if has_doc_number else Operation.LIST_ESTIMATES
    if BILL_WORDS.search(text) or vendor_hint:
        return Operation.LIST_BILLS
    if PAYMENT_NOUNS.search(text):
        return Operation.LIST_PAYMENTS
    if INVOICE_WORDS.search(text):
        return Operation.GET_INVOICE if has_doc_number else Operation.LIST_INVOICES
    if has_doc_number:
        return Operation.GET_INVOICE
    if PAYMENT_VERBS.search(text):
        return Operation.LIST_PAYMENTS
    if OWED_TO_US.search(text):
        return Operation.LIST_INVOICES
    if ITEM_WORDS.search(text):
        return Operation.LIST_ITEMS
    if CUSTOMER_WORDS.search(text):
        return Operation.LIST_CUSTOMERS
    return None


def named_record_kind(text: str) -> Operation | None:
    """The record kind a text names with a noun ("bills", "estimates"), ignoring verbs like "unpaid" or "owe"."""
    for words, operation in (
        (ESTIMATE_WORDS, Operation.LIST_ESTIMATES),
        (BILL_WORDS, Operation.LIST_BILLS),
        (PAYMENT_NOUNS, Operation.LIST_PAYMENTS),
        (INVOICE_WORDS, Operation.LIST_INVOICES),
    ):
        if words.search(text):
            return operation
    return None


def detect_status(text: str, operation: Operation) -> IntentStatus | None:
    if operation in {Operation.LIST_INVOICES, Operation.LIST_BILLS}:
        patterns = BALANCE_STATUS_PATTERNS
    elif operation is Operation.LIST_ESTIMATES:
        patterns = ESTIMATE_STATUS_PATTERNS
    else:
        return None
    for status, pattern in patterns:
        if pattern.search(text):
            return status
    return None


def detect_aggregate(text: str) -> str | None:
    if COUNT_WORDS.search(text):
        return "count"
    if SUM_WORDS.search(text):
        return "sum"
    return None
