from django.db import migrations, models

# Conditional DDL in a DO block, as hand-written migrations often do it: the lock model cannot
# see into it, so pgwarden cannot wait ahead of time and relies on lock_timeout and retries.
ADD_MEMO = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute
                   WHERE attrelid = 'ledger_entry'::regclass AND attname = 'memo') THEN
        ALTER TABLE ledger_entry ADD COLUMN memo text;
    END IF;
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.RunSQL(
            ADD_MEMO,
            reverse_sql="ALTER TABLE ledger_entry DROP COLUMN memo",
            state_operations=[
                migrations.AddField("entry", "memo", models.TextField(null=True)),
            ],
        ),
    ]
