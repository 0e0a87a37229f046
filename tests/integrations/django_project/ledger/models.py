from django.db import models


class Entry(models.Model):
    amount = models.IntegerField()
    note = models.TextField(null=True)
    memo = models.TextField(null=True)

    class Meta:
        indexes = [models.Index(fields=["amount"], name="ledger_entry_amount")]
