"""The notifications' scheduled job: the weekly digest (declared in ``offenderhub.core.jobs``)."""

from .services import weekly_digest_send

__all__ = ["weekly_digest_send"]
