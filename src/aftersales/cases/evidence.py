"""What the case domain puts under the event log's verification and the signed checkpoints
(core/eventlog.py, core/checkpoints.py): the case chains with their money fields, the ledger
(whose entries cases cause), and the worker's periodic checkpoint."""

from aftersales.cases.models import Case
from aftersales.core import checkpoints, eventlog
from aftersales.deadlines import sweeper
from aftersales.ledger.models import LedgerEntry

eventlog.register_chained(
    "case", Case, "case_no", covered_fields=("amount_fen", "refunded_fen", "return_shipping_fen")
)
checkpoints.register_table(
    "ledger",
    LedgerEntry,
    ("shop_id", "consumer_id", "kind", "account", "amount_fen", "case_id", "created_at"),
)
sweeper.register_job(checkpoints.periodic_job)
