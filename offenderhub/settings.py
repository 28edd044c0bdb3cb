"""Settings for Offender Hub, read from the environment.

Everything has a default that works on a laptop with nothing installed: an SQLite file and an
embedded (filesystem) Celery broker under ``var/``. Production sets ``DEBUG=False``, a real
``SECRET_KEY``, ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``; see README.md, "Configuration".
"""

import ipaddress
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("OFFENDERHUB_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# A development key is only ever used with DEBUG on; production must provide its own. Without one,
# offline commands (makemigrations, check) still run, but the web app and the worker refuse to start
# (see wsgi.py, asgi.py and celery.py) and Django refuses any use of the empty key.
_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
# Previous keys, still accepted for signatures (sessions, password-reset links) while they expire:
# see README.md, "Rotating SECRET_KEY".
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SERVICE_NAME = "Offender Hub"
# Who runs the service and how to reach them, for its public pages (the privacy notice and the
# accessibility statement). The defaults are the demo force's; a deployment sets its own.
DATA_CONTROLLER = env.str("DATA_CONTROLLER", default="the Chief Constable of Fenshire Constabulary")
SERVICE_OWNER = env.str("SERVICE_OWNER", default="Fenshire Constabulary")
SERVICE_OWNER_ADDRESS = env.str(
    "SERVICE_OWNER_ADDRESS", default="Fenshire Constabulary Headquarters, 1 Mere Road, Fenbridge FE1 1AA"
)
DATA_PROTECTION_OFFICER_EMAIL = env.str(
    "DATA_PROTECTION_OFFICER_EMAIL", default="data.protection@fenshire-police.example"
)
ACCESSIBILITY_CONTACT_EMAIL = env.str(
    "ACCESSIBILITY_CONTACT_EMAIL", default="offender.hub@fenshire-police.example"
)
ACCESSIBILITY_CONTACT_PHONE = env.str("ACCESSIBILITY_CONTACT_PHONE", default="01632 960 000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "crispy_forms",
    "crispy_forms_gds",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "offenderhub.accounts",
    "offenderhub.audit",
    "offenderhub.notifications",
    "offenderhub.core",
    "cases",
    "assessments",
    "conditions",
    "referrals",
    "reporting",
    "retention",
    "subjectaccess",
    "imports",
    "hub",  # the top of the stack: the home page and the demo data (docs/architecture.md)
]

MIDDLEWARE = [
    # First, so every response (redirects, static files, errors) carries X-Request-ID and is counted.
    "offenderhub.core.observability.RequestIdMiddleware",
    "offenderhub.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # no-store for signed-in people's pages, and Permissions-Policy (static files never reach it).
    "offenderhub.core.security_headers.SecurityHeadersMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A session older than its absolute lifetime is signed out; one without its second factor reaches
    # only the code pages (offenderhub/accounts/middleware.py).
    "offenderhub.accounts.middleware.SessionLifetimeMiddleware",
    "offenderhub.accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "offenderhub.urls"
WSGI_APPLICATION = "offenderhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "offenderhub.core.context_processors.service",
                "offenderhub.notifications.context_processors.inbox",
            ],
        },
    },
]

# Form widgets are rendered with the project's templates, so templates/django/forms/ can replace
# Django's own (the select widget writes its options in place: see its template).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Data ---------------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'offenderhub.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Each web worker and job worker keeps its connection between requests (checked before reuse), instead
# of opening one per request: a new PostgreSQL backend costs its fork and authentication and then
# reads the catalogue again for every table a page touches, some 20-40 ms of a case's page at volume
# (docs/performance.md). 0 opens one per request (as behind PgBouncer in transaction mode).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer fails a request (and /readyz) in seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    # Queries are sent with their parameters apart (server-side binding), so that psycopg prepares
    # each one a connection has run twice and PostgreSQL stops planning it again: planning a page's
    # joins cost more than running them (a case's page: 11-14 ms of the database's CPU, 4-5 ms so).
    # Needs CONN_MAX_AGE above 0 to pay; off with DATABASE_PREPARED_STATEMENTS=False (a pooler that
    # cannot keep prepared statements, such as PgBouncer before 1.21 in transaction mode).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Let the web app, worker and beat share the file without "database is locked" errors.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Two roles on PostgreSQL (README.md, "Database roles"): DATABASE_URL is the app's, which may only
# read and append the audit log; MIGRATION_DATABASE_URL is the owner's, same database, which
# `manage.py migrate` connects as and which grants the app's role (DATABASE_APP_ROLE, by default
# DATABASE_URL's user) what it needs. Unset, migrations run as DATABASE_URL's role and grant nothing.
MIGRATION_DATABASE_URL = env.str("MIGRATION_DATABASE_URL", default="")
DATABASE_APP_ROLE = env.str(
    "DATABASE_APP_ROLE", default=DATABASES["default"].get("USER", "") if MIGRATION_DATABASE_URL else ""
)
# The audit log's hash chain is sealed with this key (README.md, "The audit log"); by default one
# derived from PSEUDONYM_KEY (or SECRET_KEY). Kept for good: a replaced key goes into the fallbacks,
# which still verify the rows sealed with it.
AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY", default="")
AUDIT_CHAIN_KEY_FALLBACKS = env.list("AUDIT_CHAIN_KEY_FALLBACKS", default=[])

# --- Users, login, sessions -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Passwords, refused for organisations that sign in through the identity provider, and the
    # provider itself (offenderhub/accounts/oidc.py): each organisation signs in one way only.
    "offenderhub.accounts.oidc.PasswordBackend",
    "offenderhub.accounts.oidc.SingleSignOnBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"

# Passwords are stored with Argon2id at OWASP's parameters (offenderhub/accounts/hashers.py: 19 MiB,
# 2 iterations, 1 lane). PBKDF2 (Django's default, used before) still verifies the hashes it made,
# and each is re-hashed with Argon2id at the person's next sign-in.
PASSWORD_HASHERS = [
    "offenderhub.accounts.hashers.OwaspArgon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# NCSC guidance (offenderhub/accounts/passwords.py): long, not on a deny-list (common passwords and
# the service's own words), not like the person's name or email address, and no composition rules.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["full_name", "email"]},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "offenderhub.accounts.passwords.ServiceWordsValidator"},
]
# A password reset link works once (it is signed with the password it replaces), for this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_MINUTES", default=60) * 60

# Two-factor sign-in (django-otp): a code from an authenticator app after the password, for everyone.
# Only a demo may turn it off: with DEBUG off, TWO_FACTOR_REQUIRED=False stops start-up.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=True)
if not TWO_FACTOR_REQUIRED and not DEBUG:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("TWO_FACTOR_REQUIRED=False is for a demo only: it needs DEBUG=True.")
OTP_TOTP_ISSUER = SERVICE_NAME  # the name authenticator apps show beside the code
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # never a secret in the admin pages

# Idle timeout: the session expires this many minutes after the last request.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
# The idle timeout is pushed back by the requests themselves, but written at most once every
# SESSION_REFRESH_SECONDS (offenderhub/accounts/middleware.py, SessionLifetimeMiddleware) rather than
# on every request: a session then ends between SESSION_IDLE_TIMEOUT_MINUTES less that interval and
# SESSION_IDLE_TIMEOUT_MINUTES after its last request, and a page costs no write.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Absolute lifetime: however busy, a session ends this many hours after its sign-in.
SESSION_ABSOLUTE_LIFETIME_HOURS = env.float("SESSION_ABSOLUTE_LIFETIME_HOURS", default=12)

# Lock-out after repeated failures (django-axes), counted two ways within the cool-off: against the
# account, from whatever addresses (AXES_FAILURE_LIMIT), and from one address, whatever accounts
# (AXES_ADDRESS_FAILURE_LIMIT, higher: many people may share a police station's address). Either
# locks; see offenderhub/accounts/lockout.py.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "offenderhub.accounts.lockout.AccountAndAddressLockoutHandler"
# The sign-in form's field is "username" (USERNAME_FIELD is "email", axes' default), and the name is
# counted in lower case, as sign-in ignores its case: otherwise failures are never matched to a user.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "offenderhub.accounts.forms.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "offenderhub.core.client_ip.client_ip"
AXES_VERBOSE = False

# The client's address (offenderhub/core/client_ip.py), for the lock-out, the audit log and /metrics:
# the PROXY_COUNT-th entry from the right of X-Forwarded-For, believed only from a connection out of
# TRUSTED_PROXIES; with PROXY_COUNT 0, the connecting address and never the header.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
TRUSTED_PROXIES = env.list(
    "TRUSTED_PROXIES",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)
for _network in TRUSTED_PROXIES:  # a typo stops start-up rather than the first request
    ipaddress.ip_network(_network, strict=False)

# --- Single sign-on -------------------------------------------------------------------------------
# One OpenID Connect identity provider per deployment, for the organisations set to sign in through it
# (offenderhub/accounts/oidc.py, README "Single sign-on"). Off unless OIDC_RP_CLIENT_ID and either
# OIDC_ISSUER (endpoints from its discovery document) or the endpoints themselves are set.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_OP_LOGOUT_ENDPOINT = env.str("OIDC_OP_LOGOUT_ENDPOINT", default="")
# The provider enforces multi-factor authentication; with this on, its ID token must say so ("amr").
OIDC_REQUIRE_MFA_CLAIM = env.bool("OIDC_REQUIRE_MFA_CLAIM", default=False)
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = False
_OIDC_ENDPOINTS = [
    OIDC_OP_AUTHORIZATION_ENDPOINT,
    OIDC_OP_TOKEN_ENDPOINT,
    OIDC_OP_USER_ENDPOINT,
    OIDC_OP_JWKS_ENDPOINT,
]
if OIDC_RP_CLIENT_ID and not (OIDC_RP_CLIENT_SECRET and (OIDC_ISSUER or all(_OIDC_ENDPOINTS))):
    # A half-configured provider stops start-up rather than the first sign-in.
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "Single sign-on needs OIDC_RP_CLIENT_SECRET, and OIDC_ISSUER or all four OIDC_OP_*_ENDPOINT settings."
    )

# --- Security -------------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes and the metrics scraper call the app directly over plain HTTP, inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "offenderhub.core.views.csrf_failure"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence lives outside the static root and is only ever served through views that check access.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Evidence uploads: under MEDIA_ROOT, which no URL serves; only views that check access read them.
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_KEEP_ONLY_HASHED_FILES = False

# Warnings before the six-month limit for summary-only offences (days before the limit).
TIME_LIMIT_WARNING_DAYS = [int(d) for d in env.list("TIME_LIMIT_WARNING_DAYS", default=["28", "7"])]
# Data quality (reporting/quality.py): days a case may stay in each status before the supervisor's
# data-quality page reports it as stuck, e.g. DATA_QUALITY_STUCK_DAYS="intake=21,assessment=35".
DATA_QUALITY_STUCK_DAYS = {
    "intake": 14,
    "awaiting_decision": 7,
    "assessment": 28,
    "conditions_agreed": 14,
    **{status: int(days) for status, days in env.dict("DATA_QUALITY_STUCK_DAYS", default={}).items()},
}
# Retention review (retention/): years after a case ended, by how it ended, before the person's record
# is flagged for review (DOMAIN.md, Data protection: normally kept at least six years), e.g.
# RETENTION_REVIEW_YEARS="withdrawn=3,ineligible=3". A person falls due once every case of theirs has
# ended that long ago; never while a case is open or a legal hold is set.
RETENTION_REVIEW_YEARS = {
    "completed": 6,
    "closed": 6,
    "ineligible": 6,
    "declined": 6,
    "withdrawn": 6,
    **{status: int(years) for status, years in env.dict("RETENTION_REVIEW_YEARS", default={}).items()},
}
# A person with no case (recorded at intake and never given one, or whose cases were all deleted) is
# reviewed this many years after the last thing done to their record: recorded, a detail corrected, a
# record merged into theirs or a merge undone, a police record imported for them.
RETENTION_REVIEW_YEARS_WITHOUT_CASE = env.int("RETENTION_REVIEW_YEARS_WITHOUT_CASE", default=6)
# Days the files of a subject access export are kept after the request was released or withdrawn:
# long enough for a complaint to the Information Commissioner about the response (normally made
# within three months of it) to be looked into with the copy as sent. The request, its dates, what was
# withheld and why, and the files' checksums stay. The daily job ``subject_access_files`` deletes them.
SUBJECT_ACCESS_EXPORT_KEEP_DAYS = env.int("SUBJECT_ACCESS_EXPORT_KEEP_DAYS", default=180)
# Working days after an appointment before a missing outcome is chased.
APPOINTMENT_OUTCOME_WORKING_DAYS = env.int("APPOINTMENT_OUTCOME_WORKING_DAYS", default=2)
# The day of the week (0 = Monday) the weekly digest is sent.
DIGEST_WEEKDAY = env.int("DIGEST_WEEKDAY", default=0)
# The day of the week (0 = Monday) the audit log's daily check walks the whole hash chain; on the
# other days it checks only the rows added since its last checkpoint (offenderhub/audit/jobs.py).
AUDIT_FULL_VERIFY_WEEKDAY = env.int("AUDIT_FULL_VERIFY_WEEKDAY", default=6)

# The key for stable pseudonyms in analysts' exports; defaults to SECRET_KEY. Changing it changes them all.
PSEUDONYM_KEY = env.str("PSEUDONYM_KEY", default="")
# The analyst dashboard keeps its figures for a force and a set of filters this long, or until its
# summaries next change (reporting/views.py); 0 computes them from the summaries on every request.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=600)
# ... and computes them again after a change at most once every this many seconds (the page says when
# its figures were made): 0 computes them again after every change.
DASHBOARD_REFRESH_SECONDS = env.int("DASHBOARD_REFRESH_SECONDS", default=60)
# The job that refreshes the summaries every minute makes the unfiltered dashboard's figures as soon as
# they change; a request shows the figures the job made for this much longer again before it makes them
# itself (which it then does only if the job has stopped running).
DASHBOARD_JOB_GRACE_SECONDS = env.int("DASHBOARD_JOB_GRACE_SECONDS", default=60)
# Disclosure control (reporting/disclosure.py): the dashboard shows no figure for fewer cases than this,
# withholds a table's group of fewer, and no row of the pseudonymised case extract has quasi-identifiers
# that fit fewer cases (k-anonymity with this k).
DISCLOSURE_MIN_COHORT = env.int("DISCLOSURE_MIN_COHORT", default=10)

# Evidence uploads: PDF, PNG or JPEG, checked by their content, up to this size.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)

# Caseload imports (imports app): files up to this size are checked and imported while the page waits;
# larger ones by a job, whose progress the page shows. Uploads larger than the maximum are refused.
CASELOAD_IMPORT_INLINE_BYTES = env.int("CASELOAD_IMPORT_INLINE_BYTES", default=200 * 1024)
CASELOAD_IMPORT_MAX_BYTES = env.int("CASELOAD_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# A checked import not confirmed within this many days is discarded, and its file deleted.
CASELOAD_IMPORT_KEEP_DAYS = env.int("CASELOAD_IMPORT_KEEP_DAYS", default=7)

# --- Forms ----------------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# --- Email ----------------------------------------------------------------------------------------
# Without EMAIL_URL: in development each email is written whole to a file under var/mail/ and logged
# as one line (offenderhub/notifications/mail.py); in production it goes to the local mail server.
# EMAIL_URL=consolemail:// prints whole emails instead. A mail server that does not answer within
# EMAIL_TIMEOUT seconds fails the send, which is tried again later.
if env.str("EMAIL_URL", default="") or not DEBUG:
    vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
else:
    EMAIL_BACKEND = "offenderhub.notifications.mail.DevelopmentEmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Offender Hub <no-reply@offenderhub.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Jobs (Celery) --------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Django's cache (the dashboard's figures): one Redis shared by every web worker when CACHE_URL is set
# (docker-compose.yml uses Redis's database 1 beside the broker's 0), else each process's own memory.
# Never the broker's own database: a cache may be cleared whole.
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="offenderhub"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
_BROKER_DIR = VAR_DIR / "celery" / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
    # A broker that is down or unreachable is known within seconds, not waited for: queueing from a
    # request is best effort (offenderhub/core/queueing.py) and the sweeps catch up.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
else:
    # The embedded broker: messages are files under var/celery, so a first run needs no server.
    _BROKER_DIR.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "results").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    # The host is not used; naming it keeps kombu from warning about it on every connection.
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR),
        "data_folder_out": str(_BROKER_DIR),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env.str(
        "CELERY_RESULT_BACKEND", default=f"file://{VAR_DIR / 'celery' / 'results'}"
    )
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=14 * 60)
CELERY_RESULT_EXPIRES = 7 * 24 * 3600
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Locale ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Logging and monitoring ---------------------------------------------------------------------------
# One line per event on standard output: JSON objects in production (time, level, logger, message,
# request_id, user_id, organisation_id), readable text in development. Never a name or an email.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "offenderhub.core.observability.LogContextFilter"}},
    "formatters": {
        "json": {"()": "offenderhub.core.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["context"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Where `manage.py backup` (and `make backup`) writes its archives unless told another folder.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))

# /livez, /readyz and /healthz give up on the database or broker after this many seconds.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)

# /metrics (Prometheus): readable from these networks (CIDRs), or with "Authorization: Bearer <token>".
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
for _network in METRICS_ALLOWED_IPS:  # a typo stops start-up rather than the first scrape
    ipaddress.ip_network(_network, strict=False)

# Error reports to Sentry, only when a DSN is given; never with personal data (offenderhub/core/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production")
RELEASE = env.str("RELEASE", default="")
if SENTRY_DSN:
    from offenderhub.core.sentry import sentry_configure

    sentry_configure(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=RELEASE)
