"""The queue's counts table, kept by triggers on cases_case (SQLite and PostgreSQL)."""

from django.db import migrations, models

SLOTS = 8  # accounts.models.QUEUE_COUNT_SLOTS at the time of this migration

SQLITE = [
    f"""
    CREATE TRIGGER accounts_queuecount_insert AFTER INSERT ON cases_case BEGIN
      INSERT INTO accounts_queuecount (programme, status, slot, n)
      VALUES (NEW.programme, NEW.status, NEW.id % {SLOTS}, 1)
      ON CONFLICT (programme, status, slot) DO UPDATE SET n = n + 1;
    END
    """,
    f"""
    CREATE TRIGGER accounts_queuecount_delete AFTER DELETE ON cases_case BEGIN
      UPDATE accounts_queuecount SET n = n - 1
      WHERE programme = OLD.programme AND status = OLD.status AND slot = OLD.id % {SLOTS};
    END
    """,
    f"""
    CREATE TRIGGER accounts_queuecount_update AFTER UPDATE OF programme, status ON cases_case
    WHEN OLD.programme IS NOT NEW.programme OR OLD.status IS NOT NEW.status BEGIN
      UPDATE accounts_queuecount SET n = n - 1
      WHERE programme = OLD.programme AND status = OLD.status AND slot = OLD.id % {SLOTS};
      INSERT INTO accounts_queuecount (programme, status, slot, n)
      VALUES (NEW.programme, NEW.status, NEW.id % {SLOTS}, 1)
      ON CONFLICT (programme, status, slot) DO UPDATE SET n = n + 1;
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS accounts_queuecount_insert",
    "DROP TRIGGER IF EXISTS accounts_queuecount_delete",
    "DROP TRIGGER IF EXISTS accounts_queuecount_update",
]

POSTGRESQL = [
    f"""
    CREATE FUNCTION accounts_queuecount_change() RETURNS trigger AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE accounts_queuecount SET n = n - 1
        WHERE programme = OLD.programme AND status = OLD.status AND slot = mod(OLD.id, {SLOTS});
      END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO accounts_queuecount (programme, status, slot, n)
        VALUES (NEW.programme, NEW.status, mod(NEW.id, {SLOTS}), 1)
        ON CONFLICT (programme, status, slot) DO UPDATE SET n = accounts_queuecount.n + 1;
      END IF;
      RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER accounts_queuecount_insert_delete AFTER INSERT OR DELETE ON cases_case
    FOR EACH ROW EXECUTE FUNCTION accounts_queuecount_change()
    """,
    """
    CREATE TRIGGER accounts_queuecount_update AFTER UPDATE OF programme, status ON cases_case
    FOR EACH ROW
    WHEN (OLD.programme IS DISTINCT FROM NEW.programme OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION accounts_queuecount_change()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS accounts_queuecount_update ON cases_case",
    "DROP TRIGGER IF EXISTS accounts_queuecount_insert_delete ON cases_case",
    "DROP FUNCTION IF EXISTS accounts_queuecount_change()",
]

# PostgreSQL is given the SQL through psycopg, which reads "%" as a placeholder: mod() there.
FILL = """
INSERT INTO accounts_queuecount (programme, status, slot, n)
SELECT programme, status, {slot}, COUNT(*) FROM cases_case
GROUP BY programme, status, {slot}
"""
SQLITE_FILL = FILL.format(slot=f"id % {SLOTS}")
POSTGRESQL_FILL = FILL.format(slot=f"mod(id, {SLOTS})")


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise NotImplementedError(f"queue counts need SQLite or PostgreSQL, not {vendor}")
        for sql in statements[vendor]:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_staff_sessions_invites_revocation'),
        ('cases', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='QueueCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('programme', models.CharField(max_length=20)),
                ('status', models.CharField(max_length=20)),
                ('slot', models.PositiveSmallIntegerField()),
                ('n', models.BigIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('programme', 'status', 'slot'), name='queue_count_one_row_per_slot')],
            },
        ),
        migrations.RunPython(
            _run({"sqlite": [*SQLITE, SQLITE_FILL], "postgresql": [*POSTGRESQL, POSTGRESQL_FILL]}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}),
        ),
    ]
