"""Settings for FITS Service Desk: one module, read from the environment.

Development needs nothing set: SQLite under var/, an embedded Celery broker on the file system,
a secret key generated once and kept in var/. Production sets FITS_ENVIRONMENT=production and
the variables the README lists; nothing else differs.
"""

import os
import secrets
from pathlib import Path

import environ
from csp import constants as csp

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# =============================================================================
# Environment
# =============================================================================

FITS_ENVIRONMENT = env.str("FITS_ENVIRONMENT", default="development")
PRODUCTION = FITS_ENVIRONMENT == "production"
VAR_DIR = Path(env.str("FITS_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)


def _development_secret_key() -> str:
    """A key generated on first start and kept in var/, so sessions survive a restart."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # required: ImproperlyConfigured when missing
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# =============================================================================
# Applications
# =============================================================================

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_htmx",
    "django_tables2",
    "crispy_forms",
    "crispy_bootstrap5",
    "rules",
    "simple_history",
    "django_celery_beat",
    "axes",  # sign-in lockout and the sign-in log (fits/authentication.py)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",  # Content-Security-Policy header (README "Security")
    # FITS core, processes, OM functions
    "fits",
    "servicedesk",
    "incidents",
    "problems",
    "cmdb",
    "servicelevels",
    "changes",
    "releases",
    "availability",
    "om",
    "om.sysadmin",
    "om.security",
    "om.patches",
    "om.directory",
    "om.storage",
    "om.printing",
    "continuity",
    "finance",
    "fits.assessment",
    "fits.strategy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fits.authentication.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "fits.middleware.CurrentSchoolMiddleware",
    "fits.middleware.QueryTimeoutMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout page
]

ROOT_URLCONF = "fits.urls"
WSGI_APPLICATION = "fits.wsgi.application"

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
                "fits.context_processors.navigation",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# =============================================================================
# Database
# =============================================================================

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'fits.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web server, the worker and beat share one file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif env.bool("DATABASE_POOL", default=True):
    # Django's own psycopg 3 connection pool (persistent connections must stay off with it).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=10),
    }
# Web processes (fits/wsgi.py and asgi.py say they are one) cancel a statement that runs longer than this, so that a
# pathological filter, sort or search fails cleanly (503, "took too long") well inside gunicorn's own 60 s timeout.
# Celery workers and management commands do set-based work over whole authorities and are not limited.
DATABASE_STATEMENT_TIMEOUT = env.int("DATABASE_STATEMENT_TIMEOUT", default=30)  # seconds; 0 = none
_WEB_PROCESS = bool(os.environ.get("FITS_WEB_PROCESS"))
if DATABASES["default"]["ENGINE"].endswith("postgresql") and _WEB_PROCESS and DATABASE_STATEMENT_TIMEOUT:
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT}s"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# =============================================================================
# Cache and Celery
# =============================================================================

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# acks_late: a message whose worker died comes back after this long. It must exceed any task's run time
# (CELERY_TASK_TIME_LIMIT), countdown and retry back-off (at most 600 s), or a running task would be delivered
# twice; Redis's default is an hour, which left a killed worker's work waiting that long.
# tests/fits/test_celery_faults.py holds every task to it.
FITS_BROKER_VISIBILITY_TIMEOUT = 900
if PRODUCTION:  # a real broker is required: the embedded one is for a single development machine
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL) or env.str("CELERY_BROKER_URL")
else:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker: messages are files under var/celery, shared by web, worker and beat.
    _broker_dir = VAR_DIR / "celery"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control, in the checkout
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": FITS_BROKER_VISIBILITY_TIMEOUT}
CELERY_TIMEZONE = "Europe/London"
CELERY_TASK_IGNORE_RESULT = True  # outcomes are our own rows, not Celery results
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "fits.beat:SingleBeatScheduler"  # django-celery-beat's, holding the one-beat lock
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Monitoring runs on its own queue, so a large poll never delays notifications (DESIGN 4.6). Batches of checks
# are sent to their school's queue explicitly (MonitoringSettings.queue: a poller inside the school's network).
FITS_MONITORING_QUEUE = env.str("FITS_MONITORING_QUEUE", default="monitoring")
# Probes in flight at once in one batch (asyncio); each waits at most its check's timeout.
FITS_MONITORING_CONCURRENCY = env.int("FITS_MONITORING_CONCURRENCY", default=500)
CELERY_TASK_ROUTES = {
    "availability.tasks.*": {"queue": FITS_MONITORING_QUEUE},
    "om.printing.tasks.printers_read_task": {"queue": FITS_MONITORING_QUEUE},  # SNMP polling, like the checks
}

# =============================================================================
# Authentication
# =============================================================================

AUTH_USER_MODEL = "fits.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any sign-in (password, directory, API token) while its username and address are locked out.
    "fits.authentication.LockoutBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Sign-in with a school's directory account (user@domain or SCHOOL\\user), for schools that turn it on.
    "om.directory.auth.DirectoryBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout (django-axes, README "Security"): 5 wrong passwords for one username from one address lock that username
# at that address for 15 minutes. The combination, not the address alone: a school's pupils and staff share one
# public address behind the school's NAT, so an address lock would shut out the whole school; nor the username
# alone, or anyone could lock a network manager out from anywhere. Attempts for one username and address are
# taken one at a time (fits.authentication.serialised), so parallel guesses cannot race past the limit.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every start; attempts and lockouts are still logged
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a pupil hammering the page does not extend the lockout
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failed sign-in kept (AccessFailureLog), not only the counts
AXES_USERNAME_CALLABLE = "fits.authentication.axes_username"
AXES_LOCKOUT_CALLABLE = "fits.authentication.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password", "otp", "token", "csrfmiddlewaretoken"]
# Two-factor sign-in (django-otp): anyone may turn it on for themselves; when FITS_REQUIRE_2FA is on (the default in
# production), administrators and network managers must set it up before they can use anything else.
FITS_REQUIRE_2FA = env.bool("FITS_REQUIRE_2FA", default=PRODUCTION)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="FITS Service Desk")

# =============================================================================
# Internationalisation: a UK product
# =============================================================================

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True  # en-GB date and number formats come with LANGUAGE_CODE

# =============================================================================
# Static and uploaded files
# =============================================================================

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION  # serve straight from the app folders while developing

# =============================================================================
# E-mail
# =============================================================================

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FITS Service Desk <servicedesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Notifications of a school with an ICT support address are sent From it (True), or from DEFAULT_FROM_EMAIL
# with Reply-To it (False: when the mail server may not send as the schools' addresses).
FITS_EMAIL_FROM_SCHOOL = env.bool("FITS_EMAIL_FROM_SCHOOL", default=True)

# =============================================================================
# Security
# =============================================================================

SESSION_COOKIE_HTTPONLY = True
# Sessions are kept in the database and read from Redis: one query less on every page. Only with a shared
# cache: with the in-process one, a sign-out in one web process would stay unseen by the others.
SESSION_ENGINE = "django.contrib.sessions.backends." + ("cached_db" if REDIS_URL else "db")
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]  # the container's own health check asks over plain HTTP on loopback
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=PRODUCTION)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The sign-in lockout believes the address the one proxy in front saw (its X-Forwarded-For), as the throttle does.
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# HSTS: a year in production (README "Security"); 0 turns it off, e.g. to try the site over plain HTTP.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# The preload list is for a whole registered domain (the authority's or school's), the domain owner's decision, not
# an application's on one host of it: `check --deploy` stops asking (README "Security").
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp, README "Security"): scripts and styles only from our own static files, or
# inline with this response's nonce (request.csp_nonce); no 'unsafe-inline', no 'unsafe-eval'; templates carry no
# style="" or on*="" attributes (tests/security/test_csp.py). Only the API's ReDoc page relaxes it, for its own
# styles (fits/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# =============================================================================
# Django REST framework and the OpenAPI schema
# =============================================================================

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that a request without credentials is told how to authenticate (401).
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "fits.pagination.Pagination",  # LimitOffsetPagination, at most 1,000 a page
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["fits.filters.FilterBackend"],  # django-filter's, refusing numbers past 64 bits
    "DEFAULT_SCHEMA_CLASS": "fits.api.AutoSchema",  # drf-standardized-errors' documented errors, and null where sent
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": "20/minute"},
    # Whose X-Forwarded-For the throttle believes: the one proxy in front, or nobody (else anyone can forge it).
    "NUM_PROXIES": 1 if BEHIND_TLS_PROXY else 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FITS Service Desk API",
    "DESCRIPTION": "Service desk and IT service management for schools, the FITS way. "
    "Every record answers only to people with a role at its school or its authority.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ActivityKindEnum": "fits.models.ActivityKind.choices",
        "StrategyDocumentKindEnum": "fits.strategy.models.DocumentKind.choices",
        "StrategyVersionStatusEnum": "fits.strategy.models.VersionStatus.choices",
        "StrategyCapacityEnum": "fits.strategy.models.Capacity.choices",
        "IncidentStatusEnum": "incidents.models.Status.choices",
        "ProblemStatusEnum": "problems.models.Status.choices",
        "ConfigurationItemKindEnum": "cmdb.models.Kind.choices",
        "LifecycleStatusEnum": "cmdb.models.LifecycleStatus.choices",
        "LocationKindEnum": "cmdb.models.LocationKind.choices",
        "PortKindEnum": "cmdb.models.PortKind.choices",
        "RelationshipKindEnum": "cmdb.models.RelationshipKind.choices",
        "CableTypeEnum": "cmdb.models.CableType.choices",
        # Change Management (changes/api.py)
        "ChangeKindEnum": "changes.models.ChangeKind.choices",
        "ChangeStatusEnum": "changes.models.Status.choices",
        "ChangeRiskEnum": "changes.models.Risk.choices",
        "BreachRiskEnum": "om.security.models.BreachRisk.choices",
        "FirewallRuleActionEnum": "om.security.models.RuleAction.choices",
        "StockMovementKindEnum": "om.printing.models.MovementKind.choices",  # Security Administration's breach log
        # Storage Management (om/storage/api.py)
        "BackupResultStatusEnum": "om.storage.models.ResultStatus.choices",
        "BackupResultSourceEnum": "om.storage.models.ResultSource.choices",
        "BackupReportOutcomeEnum": "om.storage.models.BackupReport.Outcome",
        "RestoreKindEnum": "om.storage.models.RestoreKind.choices",
        "RestoreOutcomeEnum": "om.storage.models.RestoreOutcome.choices",
        # FITS maturity assessment (fits/assessment/api.py)
        "AssessmentLevelEnum": "fits.assessment.models.Level.choices",
        "AssessmentStatusEnum": "fits.assessment.models.Assessment.Status",
        # Service Continuity Management (continuity/api.py)
        "ContinuityThreatEnum": "continuity.models.ThreatCategory.choices",
        "ContinuityRatingEnum": "continuity.models.Rating.choices",
        "ContinuityRiskStatusEnum": "continuity.models.RiskStatus.choices",
        "ContinuityPlanStatusEnum": "continuity.models.PlanStatus.choices",
        "ContinuityContactKindEnum": "continuity.models.ContactKind.choices",
        "ContinuityTestKindEnum": "continuity.models.TestKind.choices",
        "ContinuityTestOutcomeEnum": "continuity.models.TestOutcome.choices",
        # Financial Management (finance/api.py)
        "FinanceCategoryEnum": "finance.models.Category.choices",
        "ContractKindEnum": "finance.models.ContractKind.choices",
        "PaymentFrequencyEnum": "finance.models.PaymentFrequency.choices",
        "ExpenditureStageEnum": "finance.models.Stage.choices",
        "ApprovalRoleEnum": "changes.models.ApprovalRole.choices",
        "ReviewOutcomeEnum": "changes.models.ReviewOutcome.choices",
        "FreezeWindowKindEnum": "changes.models.FreezeWindow.Kind",
        # Release Management (releases/api.py)
        "ReleaseKindEnum": "releases.models.ReleaseKind.choices",
        "ReleaseStatusEnum": "releases.models.Status.choices",
        "LibraryItemKindEnum": "releases.models.ItemKind.choices",
        "LibraryItemStatusEnum": "releases.models.ItemStatus.choices",
        "RolloutOutcomeEnum": "releases.models.Outcome.choices",
        "RolloutRecordOutcomeEnum": "releases.models.RECORDED_OUTCOMES",
        "OutcomeEnum": "servicedesk.models.InboundMessage.Outcome",  # its name before reviews had an outcome
        "AgreementKindEnum": "servicelevels.models.Agreement.Kind",
        "SupportGroupKindEnum": "incidents.models.SupportGroup.Kind",
        "InboundMessageSourceEnum": "servicedesk.models.InboundMessage.Source",
        "TicketKindEnum": "incidents.models.TicketKind.choices",
        "ChangeDecisionEnum": "changes.models.Decision.choices",
        # Availability and Capacity (availability/api.py) and Tasks (incidents/task_api.py)
        "CheckKindEnum": "availability.models.CheckKind.choices",
        "MonitoringStateEnum": "availability.models.State.choices",
        "CheckStatusEnum": "availability.models.Check.Status",
        "OutageKindEnum": "availability.models.Outage.Kind",
        # FITS OM: Systems Administration (om/sysadmin/api.py)
        "LogbookEntryKindEnum": "om.sysadmin.models.LogbookEntry.Kind",
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums"],
}
DRF_STANDARDIZED_ERRORS = {
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "429"],
    "EXCEPTION_HANDLER_CLASS": "fits.errors.ExceptionHandler",  # a cancelled over-long query answers 503
}

# =============================================================================
# Forms and tables
# =============================================================================

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-vcenter card-table table-hover"}

# =============================================================================
# Logging
# =============================================================================

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# =============================================================================
# FITS
# =============================================================================

FITS_ATTACHMENT_MAX_BYTES = env.int("FITS_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# The address people use to reach the site, for links in e-mails.
FITS_BASE_URL = env.str("FITS_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Days a resolved incident waits for the caller to confirm or reopen before it closes itself.
FITS_AUTO_CLOSE_DAYS = env.int("FITS_AUTO_CLOSE_DAYS", default=5)
