from django.apps import AppConfig


class AnnotateConfig(AppConfig):
    name = "annotate"
    verbose_name = "Annotation"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from config.auth import on_logged_in, on_login_failed

        # Password guessing is counted here and refused by config.auth.ThrottledModelBackend.
        user_login_failed.connect(on_login_failed, dispatch_uid="config.auth.on_login_failed")
        user_logged_in.connect(on_logged_in, dispatch_uid="config.auth.on_logged_in")
