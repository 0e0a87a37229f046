"""What is left after 0002: the event log and field history went to the logging service."""

from django.db import models


class Customer(models.Model):
    name = models.TextField()
    balance = models.BigIntegerField(default=0)
