"""The interpreter of workflow tables: which transition an action takes, and who may act.

Pure decisions over a case and its workflow; `services.py` applies them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from aftersales.cases.effects import GUARDS
from aftersales.cases.models import Case
from aftersales.cases.workflows import workflow_for
from aftersales.cases.workflows.base import ACTION_FIELDS, PLATFORM_REVIEW, Transition
from aftersales.core.errors import BadRequest, Conflict, Forbidden, RuleViolation


def select_transition(
    case: Case, party: str | None, action: str, fields: dict[str, Any]
) -> Transition:
    """The transition `action` takes from the case's status for `party`, or a typed error:
    400 unknown action, 403 wrong party, 409 wrong status or failed guard, 422 bad selector."""
    workflow = workflow_for(case.type)
    if action not in ACTION_FIELDS:
        raise BadRequest(
            _("Unknown action %(a)s.") % {"a": action}, code="unknown_action", field="action"
        )
    if party is None or party not in workflow.parties_for(action):
        raise Forbidden(
            _("You may not take the action %(a)s.") % {"a": action}, code="forbidden_party"
        )
    here = workflow.transitions_for(action, case.status)
    if not here:
        raise Conflict(
            _("Action %(a)s is not possible while the case is %(s)s.")
            % {"a": action, "s": case.status},
            code="wrong_status",
        )
    mine = [t for t in here if party in t.by]
    if not mine:
        raise Forbidden(
            _("You may not take the action %(a)s now.") % {"a": action}, code="forbidden_party"
        )
    matching = [t for t in mine if all(fields.get(k) == v for k, v in t.when.items())]
    if not matching:
        selector = next(iter(mine[0].when))
        options = sorted({str(t.when[selector]) for t in mine})
        raise RuleViolation(
            _("%(f)s must be one of: %(o)s.") % {"f": selector, "o": ", ".join(options)},
            code=f"invalid_{selector}",
            field=selector,
        )
    failures = []
    for transition in matching:
        if transition.guard is None:
            return transition
        condition, message = GUARDS[transition.guard]
        if condition(case):
            return transition
        failures.append(message)
    raise Conflict(_(failures[0]), code="guard_failed")


def allowed_actions(case: Case, party: str | None) -> list[str]:
    """The actions `party` may take now (guards applied; timer-only actions excluded)."""
    if party is None or party == "system":
        return []
    names: list[str] = []
    for transition in workflow_for(case.type).transitions:
        if transition.source != case.status or party not in transition.by:
            continue
        if transition.guard and not GUARDS[transition.guard][0](case):
            continue
        if transition.action not in names:
            names.append(transition.action)
    return names


def fields_asked(case: Case, action: str) -> tuple[frozenset[str], frozenset[str]]:
    """(required, optional) fields a form for `action` on this case asks for: only what the
    transition uses (agreeing to a refund-only needs no return address)."""
    required, optional = ACTION_FIELDS[action]
    here = workflow_for(case.type).transitions_for(action, case.status)
    effects = {effect for t in here for effect in t.effects}
    if "set_return_address" not in effects:
        optional -= {"return_address"}
    goods_with_consumer = (
        case.type == "return_refund"
        and case.status == PLATFORM_REVIEW
        and case.return_shipped_at is None
    )
    if action == "rule" and not goods_with_consumer:
        optional -= {"return_goods"}
    if action == "offer" and case.type != "return_refund":
        optional -= {"return_goods"}
    return required, optional
