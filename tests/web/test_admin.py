"""The operators' admin (/admin/): routing rules and SLA targets are edited there (README)."""

from __future__ import annotations

import pytest
from django.test import Client

from aftersales.tickets.models import RoutingRule, SlaTarget
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def admin_client() -> Client:
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def test_the_admin_lists_the_routing_rules_and_sla_targets_seeded_by_the_migrations():
    # given the routing rules and SLA targets the migrations seed
    rules, targets = list(RoutingRule.objects.all()), list(SlaTarget.objects.all())
    assert rules and targets
    client = admin_client()

    # when an operator opens each list in the admin
    rule_list = client.get("/admin/tickets/routingrule/")
    target_list = client.get("/admin/tickets/slatarget/")

    # then every row is listed, and each one opens for editing
    assert rule_list.status_code == target_list.status_code == 200
    for rule in rules:
        assert rule.name in rule_list.content.decode()
    assert f"{len(targets)} " in target_list.content.decode()
    assert client.get(f"/admin/tickets/routingrule/{rules[0].pk}/change/").status_code == 200
    assert client.get(f"/admin/tickets/slatarget/{targets[0].pk}/change/").status_code == 200
    # and the admin's index offers both
    index = client.get("/admin/").content.decode()
    assert "/admin/tickets/routingrule/" in index and "/admin/tickets/slatarget/" in index


def test_an_operator_edits_an_sla_target_in_the_admin():
    # given an SLA target
    target = SlaTarget.objects.order_by("id").first()
    assert target is not None
    client = admin_client()
    form = client.get(f"/admin/tickets/slatarget/{target.pk}/change/").context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }

    # when the operator raises its first-response target
    data["first_response_hours"] = target.first_response_hours + 1
    response = client.post(f"/admin/tickets/slatarget/{target.pk}/change/", data)

    # then it is saved
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert target.first_response_hours == form.initial["first_response_hours"] + 1
