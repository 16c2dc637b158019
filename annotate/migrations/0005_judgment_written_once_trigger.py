"""A judgment is written once and never edited, in the database itself: `Judgment.save()` refuses
an edit, but a queryset's `update()`, the admin's bulk actions and any SQL go around it. A trigger
refuses every UPDATE of a judgment row (an IntegrityError in Django). DELETE is left to the foreign
keys, which protect judgments already (Judgment.assignment is PROTECT).

On SQLite, a later migration that makes Django rebuild annotate_judgment (it copies the table) drops
the trigger: such a migration must create it again (tests/test_demo_sqlite.py fails until it does)."""

from django.db import migrations

NAME = "judgment_written_once"
MESSAGE = "A judgment is written once and never edited."

POSTGRES = [
    f"""CREATE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (judgment %)', OLD.id USING ERRCODE = 'restrict_violation';
END
$$""",
    f"CREATE TRIGGER {NAME} BEFORE UPDATE ON annotate_judgment FOR EACH ROW EXECUTE FUNCTION {NAME}()",
]
POSTGRES_UNDO = [f"DROP TRIGGER IF EXISTS {NAME} ON annotate_judgment", f"DROP FUNCTION IF EXISTS {NAME}()"]
SQLITE = [f"CREATE TRIGGER {NAME} BEFORE UPDATE ON annotate_judgment BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"]
SQLITE_UNDO = [f"DROP TRIGGER IF EXISTS {NAME}"]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def trigger_create(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRES, "sqlite": SQLITE})


def trigger_drop(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRES_UNDO, "sqlite": SQLITE_UNDO})


class Migration(migrations.Migration):
    dependencies = [("annotate", "0004_audit_event_users_protected")]

    operations = [migrations.RunPython(trigger_create, trigger_drop)]
