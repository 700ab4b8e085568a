"""API tokens expire and carry a scope; the cache table that rate limits count in."""

import datetime as dt

from django.core.management import call_command
from django.db import migrations, models
from django.utils import timezone


def expire_existing_tokens(apps, schema_editor):
    # Tokens handed out before tokens expired get the default lifetime from now, not from
    # their creation: nobody is locked out by the upgrade itself.
    ApiToken = apps.get_model("core", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + dt.timedelta(days=90)
    )


def create_cache_table(apps, schema_editor):
    # `migrate` alone prepares a fresh install (the database cache is the default, see
    # settings._cache_config); the command skips tables that exist and non-database caches.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_user_available")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[("read", "Read only"), ("read_write", "Read and write")],
                default="read_write",
                max_length=10,
            ),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
