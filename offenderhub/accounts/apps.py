from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "offenderhub.accounts"
    label = "accounts"
    verbose_name = "Organisations and users"
