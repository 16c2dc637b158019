from django.apps import AppConfig


class AnnotateConfig(AppConfig):
    name = "annotate"
    verbose_name = "Annotation"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.core import checks
        from django.db.models.signals import post_delete, post_save, pre_save
        from django.urls import register_converter

        from annotate.models import Membership
        from annotate.signals import membership_deleted, membership_saved, membership_saving
        from config.auth import on_logged_in, on_login_failed, on_user_saved, on_user_saving, trusted_proxies_check
        from config.converters import IdConverter

        # `<id:…>` in the apps' paths, before any of them is read (the URLconf is read after the apps are ready).
        register_converter(IdConverter, "id")

        # An annotator who leaves a project (in the admin) has their open sitting there ended at once.
        post_delete.connect(membership_deleted, sender=Membership, dispatch_uid="annotate.membership_deleted")
        pre_save.connect(membership_saving, sender=Membership, dispatch_uid="annotate.membership_saving")
        post_save.connect(membership_saved, sender=Membership, dispatch_uid="annotate.membership_saved")

        # Password guessing is counted here and refused by config.auth.ThrottledModelBackend.
        user_login_failed.connect(on_login_failed, dispatch_uid="config.auth.on_login_failed")
        user_logged_in.connect(on_logged_in, dispatch_uid="config.auth.on_logged_in")
        checks.register(trusted_proxies_check, checks.Tags.security, deploy=True)
        # A new password, or one disabled, revokes the user's API tokens.
        pre_save.connect(on_user_saving, sender=get_user_model(), dispatch_uid="config.auth.on_user_saving")
        post_save.connect(on_user_saved, sender=get_user_model(), dispatch_uid="config.auth.on_user_saved")
