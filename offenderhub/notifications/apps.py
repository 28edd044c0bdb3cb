from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "offenderhub.notifications"
    label = "notifications"
    verbose_name = "Notifications"
