from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def pseudonym_key_set(app_configs, **kwargs):
    """Pseudonyms must stay the same when the SECRET_KEY is rotated: production sets its own key."""
    if settings.PSEUDONYM_KEY:
        return []
    return [
        Warning(
            "PSEUDONYM_KEY is not set: analysts' pseudonyms are derived from SECRET_KEY and would all "
            "change if it were rotated.",
            hint="Set PSEUDONYM_KEY to a long random value and keep it.",
            id="offenderhub.W001",
        )
    ]
