"""One declarative workflow per after-sales type."""

from aftersales.cases.workflows import exchange, refund_only, repair, resend, return_refund
from aftersales.cases.workflows.base import Workflow

WORKFLOWS: dict[str, Workflow] = {
    module.WORKFLOW.type: module.WORKFLOW
    for module in (refund_only, return_refund, exchange, resend, repair)
}

CASE_TYPES = tuple(WORKFLOWS)


def workflow_for(case_type: str) -> Workflow:
    return WORKFLOWS[case_type]
