from django.db import models


class Customer(models.Model):
    email = models.TextField(unique=True)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, db_constraint=True)
    status = models.CharField(max_length=20, default="new")
    total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["status"], name="shop_order_status_idx")]
