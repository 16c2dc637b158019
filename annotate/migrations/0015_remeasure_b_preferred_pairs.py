"""Pairs whose source preferred B had their transcript similarity measured A first, not chosen first
(`analytics.metrics.similarity.pair_text_measures`). Marking them unmeasured has the next bias report
or export measure them again (`analytics.services.pair_measures_fill`); the other measures come out
the same."""

from django.db import migrations


def unmeasure(apps, schema_editor):
    Pair = apps.get_model("annotate", "Pair")
    Pair.objects.filter(source_preference="b", transcript_similarity__isnull=False).update(transcript_similarity=None)


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0014_served_at_help"),
    ]

    operations = [migrations.RunPython(unmeasure, migrations.RunPython.noop)]
