"""Settings, all from environment variables with defaults that run the embedded simulator.

A bad value stops start-up with a message naming the variable (see playground.env).
BP_PRODUCTION=1 is for a public address behind a TLS proxy: it needs SECRET_KEY and
ALLOWED_HOSTS, refuses DEBUG, and turns on secure cookies, HSTS and the redirect to
HTTPS, so `manage.py check --deploy` is clean (README, Deploying).
"""

from pathlib import Path

from django.core.management.utils import get_random_secret_key

from playground.env import BadSetting, envbool, envint, envlist, envstr
from sandbox import protocol

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("BP_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", False)
BP_PRODUCTION = envbool("BP_PRODUCTION", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in VAR_DIR
    (not in production: several processes must share one key that outlives VAR_DIR)."""
    key = envstr("SECRET_KEY", "")
    if BP_PRODUCTION and (len(key) < 50 or len(set(key)) < 5):
        raise BadSetting("SECRET_KEY", key[:4] + "…" if key else "", "50 or more random characters")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# Production: HTTPS only, behind a TLS proxy (README, Deploying).
if BP_PRODUCTION:
    if DEBUG:
        raise BadSetting("DEBUG", "true", "false when BP_PRODUCTION is on")
    if not envstr("ALLOWED_HOSTS", "").strip():
        raise BadSetting("ALLOWED_HOSTS", "", "the public host names when BP_PRODUCTION is on")
    SECURE_SSL_REDIRECT = envbool("BP_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("BP_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("BP_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("BP_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # asking browsers to preload HSTS commits the whole domain for good: opt in only
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    # e.g. BP_PROXY_SSL_HEADER=X-Forwarded-Proto: the proxy says the request came over
    # HTTPS (set it only if the proxy always sets or strips that header)
    _proxy_header = envstr("BP_PROXY_SSL_HEADER", "")
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
# Content-Security-Policy and Permissions-Policy on every answer but DEBUG's error pages
# (playground.web.security); the app runs no inline script or style.
BP_CSP = envbool("BP_CSP", not DEBUG)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.sessions",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django_htmx",
    "channels",
    "playground",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "playground.web.stranger.StrangerMiddleware",  # a sandbox not yours: the app's own 404
    "playground.web.limit_page.LimitMiddleware",
    "playground.web.security.PolicyMiddleware",
]

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": envstr("DATABASE_PATH", str(VAR_DIR / "db.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
# WhiteNoise serves static files in every mode (daphne alone serves none), straight
# from the app's folders, so no collectstatic step is needed; nothing comes from a CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"

# Channels: in-memory for one process (the embedded default), Redis for several.
REDIS_URL = envstr("REDIS_URL", "")
BP_REDIS_CONNECTIONS = envint("BP_REDIS_CONNECTIONS", 1000, minimum=10)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's asyncio pool refuses (not waits) past max_connections (100
                # by default): a class of watchers connecting at once needs more
                "hosts": [{"address": REDIS_URL, "max_connections": BP_REDIS_CONNECTIONS}],
                "capacity": 1500,
                "expiry": 10,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}
    }

# Real brokers (used only when a sandbox switches to them).
RABBITMQ_URL = envstr("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
RABBITMQ_MANAGEMENT_URL = envstr("RABBITMQ_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")
KAFKA_BOOTSTRAP_SERVERS = envstr("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")

# The sandbox runtime and its caps.
BP_TICK_HZ = envint("BP_TICK_HZ", 20, minimum=1, maximum=30)
BP_MAX_ENTITIES = envint("BP_MAX_ENTITIES", 200, minimum=1)
# 10,000 messages cost a sandbox ~5-15 MB and a full garbage collection ~15 ms (50,000:
# ~40-80 MB and 50-150 ms, a pause every sandbox on the host feels; bench/neighbour_bench.py)
BP_MAX_RETAINED = envint("BP_MAX_RETAINED", 10_000, minimum=1)
BP_MAX_PUBLISH_RATE = envint("BP_MAX_PUBLISH_RATE", protocol.MAX_PUBLISH_RATE, minimum=1)
BP_EVENT_HISTORY = envint("BP_EVENT_HISTORY", 5_000, minimum=100)
BP_IDLE_MINUTES = envint("BP_IDLE_MINUTES", 60, minimum=1)
# How much one visitor, and everyone together, may hold (playground.limits; a refusal
# answers 429). Memory is estimated from what runtimes retain (sandbox.runtime.memory).
BP_MAX_SANDBOXES_PER_VISITOR = envint("BP_MAX_SANDBOXES_PER_VISITOR", 20, minimum=1)
BP_MAX_SANDBOXES = envint("BP_MAX_SANDBOXES", 5_000, minimum=1)
BP_MAX_RUNTIMES = envint("BP_MAX_RUNTIMES", 50, minimum=1)
BP_MAX_RUNTIMES_PER_VISITOR = envint("BP_MAX_RUNTIMES_PER_VISITOR", 5, minimum=1)
BP_SANDBOX_MEMORY_MB = envint("BP_SANDBOX_MEMORY_MB", 32, minimum=1)
BP_MEMORY_MB = envint("BP_MEMORY_MB", 2_048, minimum=1)
BP_RUNTIME_IN_PROCESS = envbool("BP_RUNTIME_IN_PROCESS", not REDIS_URL)
# Serving processes: young-generation GC threshold after freezing the loaded app (see
# playground/gctune.py); 0 keeps CPython's defaults.
BP_GC_THRESHOLD = envint("BP_GC_THRESHOLD", 10_000, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}
