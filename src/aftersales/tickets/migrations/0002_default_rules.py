"""Default routing rules and SLA targets (operators edit them in the admin site).

Seed 001: after-sales and logistics go to the merchant's team (a logistics ticket involves the
carrier too); priority is high for large amounts and severe complaints; repeat contacts raise it.
"""

from django.db import migrations

RULES = [
    # name, position, conditions, team, priority, raise
    ("logistics to the shop and carrier", 10, {"ticket_type": "logistics"}, "shop", 3, 0),
    ("quality to the shop", 20, {"ticket_type": "quality"}, "shop", 3, 0),
    ("counterfeit is serious", 25, {"ticket_type": "quality", "subtype": "counterfeit"}, "", 2, 0),
    (
        "harassment to the platform at once",
        30,
        {"ticket_type": "complaint", "subtype": "harassment"},
        "platform",
        1,
        0,
    ),
    ("complaints to the platform", 35, {"ticket_type": "complaint"}, "platform", 2, 0),
    ("inquiries to the shop", 40, {"ticket_type": "inquiry"}, "shop", 4, 0),
    ("large amount", 80, {"min_amount_fen": 100_000}, "", None, 1),
    ("repeat contact", 90, {"min_recent_contacts": 2}, "", None, 1),
]

# type: {priority: (first response hours, resolution hours or None, resolution days or None)}
TARGETS = {
    "logistics": {1: (2, 24, None), 2: (4, 48, None), 3: (12, None, 3), 4: (24, None, 7)},
    "quality": {1: (2, 24, None), 2: (4, 48, None), 3: (24, None, 3), 4: (48, None, 7)},
    "complaint": {1: (1, 12, None), 2: (4, 24, None), 3: (12, None, 2), 4: (24, None, 5)},
    "inquiry": {1: (2, 12, None), 2: (4, 24, None), 3: (12, None, 2), 4: (24, None, 3)},
}


def load(apps, schema_editor):
    RoutingRule = apps.get_model("tickets", "RoutingRule")
    SlaTarget = apps.get_model("tickets", "SlaTarget")
    for name, position, conditions, team, priority, raise_by in RULES:
        RoutingRule.objects.update_or_create(
            name=name,
            defaults={
                "position": position,
                "team": team,
                "priority": priority,
                "raise_priority_by": raise_by,
                **conditions,
            },
        )
    for ticket_type, by_priority in TARGETS.items():
        for priority, (first, res_hours, res_days) in by_priority.items():
            SlaTarget.objects.update_or_create(
                ticket_type=ticket_type,
                priority=priority,
                defaults={
                    "first_response_hours": first,
                    "resolution_hours": res_hours,
                    "resolution_days": res_days,
                    "warn_before_minutes": 60 if first <= 2 else 120,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
