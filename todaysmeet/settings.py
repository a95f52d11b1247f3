"""Settings for todaysmeet.

Everything that differs between machines comes from the environment (see the
README for the full list). Development needs nothing set; production
(DJANGO_DEBUG=0) refuses to start on an insecure default.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from todaysmeet.env import env_bool, env_int, env_list, env_str
from todaysmeet.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=True)

_DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105 (refused when DEBUG is off)
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or _DEVELOPMENT_SECRET_KEY
if not DEBUG and (SECRET_KEY == _DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY set to a random value of at least 50 characters."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_DEBUG=0 needs ALLOWED_HOSTS (comma-separated host names).")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "anymail",
    "csp",
    "django_ratelimit",
    "accounts",
    "rooms",
    "streaming",
    "billing",
    "webhooks",
    # The project's own commands (makemessages with the project's ignores).
    "todaysmeet",
]

MIDDLEWARE = [
    # First: it numbers the request and logs its answer, whatever answers it.
    "todaysmeet.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions (a chosen language is remembered there, and in a cookie), before CommonMiddleware.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "todaysmeet.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "todaysmeet.urls"
ASGI_APPLICATION = "todaysmeet.asgi.application"

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
            ],
        },
    },
]

# --- Storage -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, without the health check of a connection used a moment ago.
        DATABASES["default"]["ENGINE"] = "todaysmeet.db.postgresql"
        # An unreachable database answers requests with 503 after this long,
        # instead of holding them (and the thread behind them) for minutes.
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
            "DATABASE_CONNECT_TIMEOUT", 2, minimum=1
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH") or str(BASE_DIR / "db.sqlite3"),
            # IMMEDIATE takes the write lock at BEGIN, so two posters queue up
            # instead of failing with "database is locked" on lock upgrade.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # A file, not memory, so a Daphne process started by a test sees
            # the same test database.
            "TEST": {"NAME": env_str("SQLITE_TEST_PATH") or str(BASE_DIR / ".test-db.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Threads that run sync (ORM) code under ASGI, each holding one database
# connection for its life: a process uses at most this many (plus one).
DATABASE_THREADS = env_int("DATABASE_THREADS", 4, minimum=1)
# An HTTP request that would wait longer than this for its database thread
# is refused at once with 503 overloaded and Retry-After, rather than queued
# (todaysmeet/sync_threads.py). 0 turns the limit off.
ADMISSION_WAIT_LIMIT_MS = env_int("ADMISSION_WAIT_LIMIT_MS", 150, minimum=0)

# --- Channel layer -----------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default 5 s socket timeout equals channels_redis's
                # 5 s BZPOPMIN, so an idle receive timed out on the client
                # (losing a message that arrived just then) instead of
                # getting Redis's empty answer. Give that answer time to come.
                # After Redis restarts, a pooled connection can look alive
                # until it is used; one retry on a fresh connection keeps a
                # publish from being lost to it (redis-py retries nothing by
                # default). An unreachable Redis may cost a publish at most
                # two 1 s connects: in a server the post has answered by then
                # (streaming/publish.py); elsewhere it waits for them.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 15,
                        "socket_connect_timeout": 1,
                        "retry": Retry(NoBackoff(), 1),
                    }
                ],
                "prefix": env_str("CHANNEL_LAYER_PREFIX") or "todaysmeet",
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 5000, minimum=100),
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Cache: counters of failed guesses (todaysmeet/attempts.py) ---------------
# Shared by every process through Redis. Without REDIS_URL there is only one
# process (deploy/cluster refuses more), and its memory is enough.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX") or env_str("CHANNEL_LAYER_PREFIX") or "todaysmeet",
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit lists only memcached and django-redis; Django's own
    # Redis cache has the atomic add and incr it needs.
    "django_ratelimit.W001",
    # It also refuses a process's own memory as not shared: true, and
    # without REDIS_URL nothing else runs to share it with.
    *([] if REDIS_URL else ["django_ratelimit.E003"]),
]

# --- Accounts ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.Teacher"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "rooms:home"
LOGOUT_REDIRECT_URL = "rooms:home"
# Password reset and email verification links stay valid this long.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# --- Email -------------------------------------------------------------------
# To the console unless Mandrill is configured; anymail sends through its API.
MANDRILL_API_KEY = env_str("MANDRILL_API_KEY")
EMAIL_BACKEND = (
    "anymail.backends.mandrill.EmailBackend" if MANDRILL_API_KEY else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "todaysmeet <noreply@localhost>"
ANYMAIL = {
    "MANDRILL_API_KEY": MANDRILL_API_KEY,
    # Unset, the Mandrill webhook answers 404: nothing can be verified.
    "MANDRILL_WEBHOOK_KEY": env_str("MANDRILL_WEBHOOK_KEY") or None,
    # The exact URL Mandrill calls (it signs it); unset, the URL the request came in on.
    "MANDRILL_WEBHOOK_URL": env_str("MANDRILL_WEBHOOK_URL") or None,
    # (connect, read) seconds: a slow Mandrill must not hold a sign-up for long.
    "REQUESTS_TIMEOUT": (3, 10),
}
# Unset, the Mailchimp webhook answers 404.
MAILCHIMP_WEBHOOK_SECRET = env_str("MAILCHIMP_WEBHOOK_SECRET")

# --- Billing -----------------------------------------------------------------
# Off unless a Stripe secret key is set: self-hosted, every teacher tool is free.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
BILLING_ENABLED = bool(STRIPE_SECRET_KEY)
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_PRICE_ID = env_str("STRIPE_PRICE_ID")
STRIPE_API_BASE = (env_str("STRIPE_API_BASE") or "https://api.stripe.com").rstrip("/")
STRIPE_JS_URL = env_str("STRIPE_JS_URL") or "https://js.stripe.com/v3/"
# Every Stripe call a request makes shares this budget, so a teacher hears
# "billing unavailable" within 10 s however slow Stripe is.
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 8, minimum=1)
if STRIPE_TIMEOUT_SECONDS > 9:
    raise ImproperlyConfigured(f"STRIPE_TIMEOUT_SECONDS must be at most 9, got {STRIPE_TIMEOUT_SECONDS}")

# --- Product limits ----------------------------------------------------------
# A lively class posts in bursts; the bucket lets a burst through and then
# refills at a steady rate.
POST_RATE_BURST = env_int("POST_RATE_BURST", 20, minimum=1)
POST_RATE_PER_MINUTE = env_int("POST_RATE_PER_MINUTE", 60, minimum=1)
# Everyone who joined a room from one network address shares a second bucket,
# so fresh identities don't bring fresh budgets. A class behind one school
# address shares it too: it is sized for 35 students, not for one.
ADDRESS_POST_RATE_BURST = env_int("ADDRESS_POST_RATE_BURST", 100, minimum=1)
ADDRESS_POST_RATE_PER_MINUTE = env_int("ADDRESS_POST_RATE_PER_MINUTE", 300, minimum=1)
# Open reports on one message from one address in a room; classmates agreeing
# that a message is mean are heard, thirty fresh identities are not thirty reports.
REPORTS_PER_ADDRESS_PER_MESSAGE = env_int("REPORTS_PER_ADDRESS_PER_MESSAGE", 3, minimum=1)
# Joins (new participants and returning ones), counted per address in each
# room and per room, in fixed windows. Reloading a page is not a join.
JOIN_WINDOW_SECONDS = env_int("JOIN_WINDOW_SECONDS", 10 * 60, minimum=1)
JOINS_PER_ADDRESS = env_int("JOINS_PER_ADDRESS", 100, minimum=1)
JOINS_PER_ROOM = env_int("JOINS_PER_ROOM", 1000, minimum=1)
# Failed guesses, counted per client address and per target, in fixed
# windows; past a limit every attempt is refused (429) until its window ends.
FAILED_ATTEMPT_WINDOW_SECONDS = env_int("FAILED_ATTEMPT_WINDOW_SECONDS", 15 * 60, minimum=1)
SIGN_IN_FAILURES_PER_ADDRESS = env_int("SIGN_IN_FAILURES_PER_ADDRESS", 20, minimum=1)
SIGN_IN_FAILURES_PER_ACCOUNT = env_int("SIGN_IN_FAILURES_PER_ACCOUNT", 10, minimum=1)
# A whole school may share one address, and a class mistypes.
ROOM_PASSWORD_FAILURES_PER_ADDRESS = env_int("ROOM_PASSWORD_FAILURES_PER_ADDRESS", 50, minimum=1)
ROOM_PASSWORD_FAILURES_PER_ROOM = env_int("ROOM_PASSWORD_FAILURES_PER_ROOM", 100, minimum=1)
# The header a trusted proxy sets to the client's address (e.g. X-Real-IP);
# unset, the address is the connection's. Never set it without such a proxy:
# any client could then claim any address.
CLIENT_ADDRESS_HEADER = env_str("CLIENT_ADDRESS_HEADER")
RATELIMIT_IP_META_KEY = "todaysmeet.attempts.client_address"
# A socket resuming from further back than this is told to reload instead.
STREAM_REPLAY_LIMIT = env_int("STREAM_REPLAY_LIMIT", 500, minimum=1)
# Largest JSON body the API reads; anything bigger is refused with 413.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 16 * 1024, minimum=1024)
# The same for a page's form post (sign-in, a new room).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PAGE_MAX_BODY_BYTES", 256 * 1024, minimum=1024)

# --- Server limits (`manage.py serve`, streaming/http_guard.py) ---------------
# Seconds a connection may take to send a request's headers, and the longest
# pause within a body; both bodies above are refused before they are read.
HTTP_HEADER_TIMEOUT_SECONDS = env_int("HTTP_HEADER_TIMEOUT_SECONDS", 10, minimum=1)
HTTP_BODY_TIMEOUT_SECONDS = env_int("HTTP_BODY_TIMEOUT_SECONDS", 10, minimum=1)

# --- Operations ------------------------------------------------------------------
# GET /metrics answers only a bearer of this token (todaysmeet/metrics.py);
# unset, it is not there. `manage.py serve --metrics-port` serves them on an
# internal address instead.
METRICS_TOKEN = env_str("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 random characters.")

# Django's admin, for staff only, at this path ("" turns it off). Not at a
# guessable /admin/ in production, where it is off unless set; a room can't
# take the path's first segment as its name.
ADMIN_URL = env_str("ADMIN_URL", "admin/" if DEBUG else "")
if ADMIN_URL and (ADMIN_URL.startswith("/") or not ADMIN_URL.endswith("/") or "//" in ADMIN_URL):
    raise ImproperlyConfigured(
        f"ADMIN_URL must look like 'staff-7f3a/' (no leading slash, one trailing), got {ADMIN_URL!r}"
    )

# --- Internationalisation and static files -----------------------------------
# English, and what a visitor's Accept-Language or their choice in the footer asks for.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The footer's choice outlasts the browser session; no script reads it.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where `manage.py collectstatic` puts them for the proxy (deploy/nginx.conf) to serve.
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")

# --- Security ----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A friendly page for a stale form (and JSON under /api/), not Django's developer page.
CSRF_FAILURE_VIEW = "todaysmeet.error_pages.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Every page's scripts and styles are our own files (page data travels in
# <script type="application/json">, which runs nothing), so nothing inline
# runs, and nothing from elsewhere loads. A view that needs more widens its
# own policy with csp.decorators.csp_update (docs/security.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Absolute base for room URLs in payloads, e.g. https://meet.example.org.
# Unset, the URL follows the Host the client used.
PUBLIC_URL = env_str("PUBLIC_URL")
if PUBLIC_URL:
    _public = urlsplit(PUBLIC_URL)
    if _public.scheme not in {"http", "https"} or not _public.netloc:
        raise ImproperlyConfigured(
            f"PUBLIC_URL must be an http(s) URL such as https://meet.example.org, got {PUBLIC_URL!r}"
        )
    # Pages there may write and open websockets (todaysmeet/origins.py).
    CSRF_TRUSTED_ORIGINS.append(f"{_public.scheme}://{_public.netloc}")
# Links in emails can't follow a Host header (nor should a password reset
# link): they are built on PUBLIC_URL, or on `make run`'s address.
EMAIL_LINK_BASE = (PUBLIC_URL or "http://127.0.0.1:8000").rstrip("/")
if not DEBUG and MANDRILL_API_KEY and not PUBLIC_URL:
    raise ImproperlyConfigured("MANDRILL_API_KEY needs PUBLIC_URL, the base of the links in emails.")
if not DEBUG:
    # Production sits behind a TLS-terminating proxy (see deploy/).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# LOG_FORMAT=json: one JSON object per line (todaysmeet/logs.py).
LOGGING = logging_config(log_format=env_str("LOG_FORMAT") or "plain", level=env_str("LOG_LEVEL") or "INFO")
