from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_attachments"),
        ("tickets", "0004_counterfeit_before_quality"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="photos",
            field=models.ManyToManyField(blank=True, related_name="tickets", to="cases.attachment"),
        ),
    ]
