from django.apps import AppConfig


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = "LMS (LTI 1.3)"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (connects the score_changed receiver)
