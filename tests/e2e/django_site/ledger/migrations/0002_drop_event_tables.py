"""Incident 000: tables that grew too much for what they gave, replaced by logs."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.DeleteModel(name="EventLog"),
        migrations.DeleteModel(name="FieldHistory"),
    ]
