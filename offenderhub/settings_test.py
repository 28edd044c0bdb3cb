"""Settings for the test suite: the real settings with test-only speed-ups.

``DATABASE_URL`` and ``REDIS_URL`` still come from the environment, so CI runs the suite on
PostgreSQL and Redis exactly as production would use them.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")  # noqa: S105

from .settings import *  # noqa: E402,F403
from .settings import STORAGES  # noqa: E402

SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
