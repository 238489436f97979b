"""TutorGraph settings: everything from environment variables, with local defaults for `make run`."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    return env(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY") or ("dev-only-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in env("DJANGO_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "django_htmx",
    "apps.accounts",
    "apps.problems",
    "apps.learners",
    "apps.tutoring",
    "apps.traces",
    "apps.exports",
    "apps.annotation",
    "apps.lab",
    "apps.classroom",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.error_pages.SiteNotFoundMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
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
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tutorgraph"), conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_CONNECT_TIMEOUT_S = float(env("REDIS_CONNECT_TIMEOUT_S", "5"))
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py >= 8 defaults socket_timeout to 5 s, which aborts the layer's blocking
            # 5 s BZPOPMIN receive (channels_redis#422): no read timeout, a bounded connect.
            "hosts": [{"address": REDIS_URL, "socket_timeout": None,
                       "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_S}],
            "prefix": env("CHANNELS_PREFIX", "tutorgraph"),
        },
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": REDIS_URL, "KEY_PREFIX": env("CHANNELS_PREFIX", "tutorgraph")}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues are chosen here only: an experiment's step by its engines, tutoring work on `llm`.
GPU_ENGINES = ("vllm",)
CELERY_TASK_ROUTES = ["apps.lab.routing.route_experiment_step",
                      {"apps.tutoring.tasks.*": {"queue": "llm"}, "apps.lab.tasks.*": {"queue": "llm"},
                       "apps.annotation.tasks.*": {"queue": "llm"}}]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "600"))}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True  # they are redelivered
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# The LLM engine every agent role uses unless a run names another.
LLM_ENGINE = env("LLM_ENGINE", "embedded")
LLM_BASE_URL = env("LLM_BASE_URL", "http://127.0.0.1:8008/v1")
LLM_MODEL = env("LLM_MODEL", "smollm2")
LLM_API_KEY = env("LLM_API_KEY")
LLM_TIMEOUT_S = float(env("LLM_TIMEOUT_S", "60"))
# Scripted engine only (tests): replies as a JSON list, and the pause between streamed tokens.
LLM_SCRIPTED_REPLIES = env("LLM_SCRIPTED_REPLIES", '["Can you walk me through how you got that?"]')
LLM_SCRIPTED_TOKEN_DELAY_S = float(env("LLM_SCRIPTED_TOKEN_DELAY_S", "0"))

# The datasets the product ships (data/README.md); lab runs and evaluations read dataset
# paths given relative to LAB_DATA_DIR, which defaults to it.
DATA_DIR = BASE_DIR / "data"
LAB_DATA_DIR = env("LAB_DATA_DIR", str(DATA_DIR))

TUTOR_MAX_MESSAGE_CHARS = int(env("TUTOR_MAX_MESSAGE_CHARS", "2000"))
TUTOR_REPLY_MAX_TOKENS = int(env("TUTOR_REPLY_MAX_TOKENS", "160"))
LLM_RATE_LIMIT_PER_MINUTE = int(env("LLM_RATE_LIMIT_PER_MINUTE", "20"))
STREAM_REPLAY_TTL_S = int(env("STREAM_REPLAY_TTL_S", "3600"))
TUTOR_STALE_TURN_S = int(env("TUTOR_STALE_TURN_S", "900"))
# A worker renews the lease of the turn it runs every TUTOR_HEARTBEAT_S; a session's socket
# checks every TUTOR_LEASE_CHECK_S for leases past TUTOR_LEASE_S (the worker died) and retries.
TUTOR_LEASE_S = int(env("TUTOR_LEASE_S", "15"))
TUTOR_HEARTBEAT_S = float(env("TUTOR_HEARTBEAT_S", "5"))
TUTOR_LEASE_CHECK_S = float(env("TUTOR_LEASE_CHECK_S", "10"))
EXPORTS_ROOT = Path(env("EXPORTS_ROOT", str(BASE_DIR / "var" / "exports")))
CANDIDATE_PAIR_SHARE = float(env("CANDIDATE_PAIR_SHARE", "1.0"))
# Misconception detector: `full` (retrieve + LLM rerank), `retrieval` or `llm`; entries retrieved.
MISCONCEPTION_METHOD = env("MISCONCEPTION_METHOD", "full")
MISCONCEPTION_TOP_K = int(env("MISCONCEPTION_TOP_K", "5"))
LOGIN_MAX_FAILURES = int(env("LOGIN_MAX_FAILURES", "5"))
LOGIN_THROTTLE_S = int(env("LOGIN_THROTTLE_S", "900"))
LOGIN_ADDRESS_PER_MINUTE = int(env("LOGIN_ADDRESS_PER_MINUTE", "60"))

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "static"
WHITENOISE_USE_FINDERS = DEBUG

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Production (DEBUG off, as compose.yaml runs it) sits behind a TLS proxy that sets
# X-Forwarded-Proto: cookies only over HTTPS, HSTS, HTTP redirected (`check --deploy` clean).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = not DEBUG
if not DEBUG:  # hashed, compressed files from collectstatic, served by WhiteNoise
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
AUTH_PASSWORD_VALIDATORS = [] if DEBUG else [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}
