"""The side counters of a pair count the leases and judgments of its kind now, gold or queue
(`annotate.services.annotating.common.pairs_sides_recount`); they counted both, so a pair whose gold
answer was set or cleared after it had judgments kept the other kind's in its counts.

The recount is that service's, on the historical models a migration must use (as 0009's is)."""

from django.db import migrations, models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce


def recount_sides(apps, schema_editor):
    Pair = apps.get_model("annotate", "Pair")
    Assignment = apps.get_model("annotate", "Assignment")
    Judgment = apps.get_model("annotate", "Judgment")
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        # As in 0009: leases and judgments written meanwhile wait for the recount's commit.
        tables = ", ".join(schema_editor.quote_name(m._meta.db_table) for m in (Assignment, Judgment))
        schema_editor.execute(f"LOCK TABLE {tables} IN SHARE MODE")

    def shown(left, gold):
        def rows(model, **where):
            counted = (
                model.objects.filter(pair=OuterRef("pk"), probe_of__isnull=True, is_gold=gold, left_response=left)
                .filter(**where)
                .order_by()
                .values("pair")
                .annotate(n=Count("*"))
                .values("n")
            )
            return Coalesce(Subquery(counted), 0)

        return rows(Assignment, state="leased") + rows(Judgment, side__in=["left", "right", "tie"])

    for gold, kind in ((True, ~Q(gold_answer="")), (False, Q(gold_answer=""))):
        # Only pairs with a lease or a judgment of the other kind can change: the rest are left as they
        # are, not rewritten (all of a large table, under the lock above).
        other = {"pair": OuterRef("pk"), "probe_of__isnull": True, "is_gold": not gold}
        changed = Exists(Assignment.objects.filter(**other)) | Exists(Judgment.objects.filter(**other))
        Pair.objects.filter(kind).filter(changed).update(a_left_count=shown("a", gold), b_left_count=shown("b", gold))


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0015_remeasure_b_preferred_pairs"),
    ]

    operations = [
        migrations.RunPython(recount_sides, migrations.RunPython.noop),
        *(
            migrations.AlterField(
                model_name="pair",
                name=f"{side}_left_count",
                field=models.PositiveIntegerField(
                    default=0,
                    help_text="Live leases and judgments that count (not skips or probes), of the pair's kind now "
                    f"(gold or queue), with response {side.upper()} on the left.",
                ),
            )
            for side in ("a", "b")
        ),
    ]
