"""A counterfeit is serious (P2): its rule must come before "quality to the shop" (P3), because
the first matching rule that names a priority sets it."""

from django.db import migrations


def forwards(apps, schema_editor):
    RoutingRule = apps.get_model("tickets", "RoutingRule")
    RoutingRule.objects.filter(name="counterfeit is serious", position=25).update(position=15)


def backwards(apps, schema_editor):
    RoutingRule = apps.get_model("tickets", "RoutingRule")
    RoutingRule.objects.filter(name="counterfeit is serious", position=15).update(position=25)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_monitor_until_closed")]
    operations = [migrations.RunPython(forwards, backwards)]
