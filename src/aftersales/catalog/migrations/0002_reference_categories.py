"""Load the reference categories: rule 1.2's repair list and the no-reason-return exclusions."""

from django.db import migrations


def load(apps, schema_editor):
    from aftersales.catalog.reference import (
        NO_REASON_RETURN_EXCLUDED,
        OTHER_CATEGORIES,
        REPAIR_CATEGORIES,
    )

    Category = apps.get_model("catalog", "Category")
    for name in REPAIR_CATEGORIES:
        Category.objects.update_or_create(name=name, defaults={"repairable": True})
    for name in NO_REASON_RETURN_EXCLUDED:
        Category.objects.update_or_create(
            name=name, defaults={"excluded_from_no_reason_return": True}
        )
    for name in OTHER_CATEGORIES:
        Category.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
