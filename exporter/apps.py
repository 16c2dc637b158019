from django.apps import AppConfig


class ExporterConfig(AppConfig):
    name = "exporter"
    verbose_name = "Export"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from exporter.models import ExportJob
        from exporter.services import export_archive_discard

        def archive_discard(sender, instance: ExportJob, **kwargs) -> None:
            export_archive_discard(job=instance)

        post_delete.connect(archive_discard, sender=ExportJob, weak=False, dispatch_uid="exporter.archive_discard")
