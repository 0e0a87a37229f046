from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction
    dependencies = [("ledger", "0002_entry_memo")]

    operations = [
        AddIndexConcurrently("entry", models.Index(fields=["amount"], name="ledger_entry_amount")),
    ]
