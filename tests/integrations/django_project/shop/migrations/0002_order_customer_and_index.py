import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="customer",
            field=models.ForeignKey(
                default=1, on_delete=django.db.models.deletion.CASCADE, to="shop.customer"
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["status"], name="shop_order_status_idx"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
