from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in, sign-up and sign-out at Django's usual paths, and the rate limits that guard
    them and the pattern runs."""

    name = "accounts"
