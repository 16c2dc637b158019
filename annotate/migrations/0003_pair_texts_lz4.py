"""The pair texts are compressed with LZ4 on PostgreSQL (14 and later, when built with it, as the
Debian, Ubuntu and official Docker builds are): pglz, the default, was 9% of an import's COPY, and LZ4
compresses several times faster and decompresses faster for every pair served. Other databases, and
a PostgreSQL without LZ4, keep their default."""

from django.db import migrations

TEXTS = ("context", "response_a", "response_b")


def _lz4_supported(schema_editor) -> bool:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        methods = cursor.fetchone()[0]
    return "lz4" in methods


def _set_compression(schema_editor, method: str) -> None:
    if not _lz4_supported(schema_editor):
        return
    columns = ", ".join(f"ALTER COLUMN {name} SET COMPRESSION {method}" for name in TEXTS)
    schema_editor.execute(f"ALTER TABLE annotate_pair {columns}")


def texts_lz4(apps, schema_editor) -> None:
    _set_compression(schema_editor, "lz4")


def texts_default(apps, schema_editor) -> None:
    _set_compression(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [("annotate", "0002_judgment_since_break_help")]

    operations = [migrations.RunPython(texts_lz4, texts_default)]
