from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "offenderhub.core"
    label = "core"
    verbose_name = "Service"
