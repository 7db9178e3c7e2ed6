"""Configuration defaults.

Load order (later wins): this class, ``instance/config.py``, environment variables with the
``FLASK_`` prefix (``FLASK_SECRET_KEY``, ``FLASK_ENVIRONMENT``, ...), the conventional
``DATABASE_URL``, then the ``test_config`` given to ``create_app``. Nothing here is a secret.
"""

from __future__ import annotations

from datetime import timedelta


class Config:
    #: ``development``, ``testing`` or ``production``. Production refuses missing secrets,
    #: debug mode and per-process rate-limit storage.
    ENVIRONMENT = "production"

    #: Signs sessions and CSRF tokens. Required outside development (set
    #: ``FLASK_SECRET_KEY`` or ``SECRET_KEY`` in ``instance/config.py``).
    SECRET_KEY: str | None = None

    #: Key for the HMAC of invitation tokens; kept outside the database. Required outside
    #: development (``FLASK_INVITATION_PEPPER``).
    INVITATION_PEPPER: str | None = None

    #: SQLAlchemy URL. Empty means SQLite at ``instance/skillsdelphi.db``. The environment
    #: variable ``DATABASE_URL`` overrides it (e.g. ``postgresql+psycopg://user@host/db``).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    #: Public address used to build every link sent out (never the request's Host header).
    BASE_URL = "http://127.0.0.1:5000"

    #: Licence of the published briefs' data, as the open-data records (DCAT-AP) state it;
    #: empty means CC BY 4.0.
    OPEN_DATA_LICENCE: str | None = None
    #: Who publishes the open-data catalogue (``/api/v1/catalogue``); empty means SkillsDelphi.
    CATALOGUE_PUBLISHER: str | None = None

    #: Interface languages; the first is the default.
    LANGUAGES = ("en", "de", "fr", "es")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    #: Session cookie lifetime: a panellist's session ends after this much idleness.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    #: Staff sessions end after this much idleness, and in any case after STAFF_SESSION_MAX_AGE.
    STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    STAFF_SESSION_MAX_AGE = timedelta(hours=12)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Set to ``__Host-session`` and Secure outside development (see create_app).
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_SECURE = False

    #: CSRF tokens live as long as the session, so a long idle form does not lose answers.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_ENABLED = True

    #: How many reverse proxies (a TLS terminator, a load balancer) stand in front of the
    #: app and append the client's address to ``X-Forwarded-For`` (and set
    #: ``X-Forwarded-Proto``). 0 trusts no such header: every client then appears with the
    #: proxy's address, so behind a proxy one client's failed links would lock out everyone.
    #: Set it to the number of proxies you run, never more: a client could then forge its
    #: address.
    TRUSTED_PROXIES = 0

    #: Serve published brief pages and API documents again from each process's memory,
    #: before the request pipeline, while nothing new is published (``app.portal.
    #: shared_answers``); at most one database question per request. False sends every
    #: request through the application.
    SHARED_ANSWERS = True
    #: Seconds each process believes what it last learnt about publications before asking
    #: the database again: a publication shows on every instance within this time.
    SHARED_ANSWERS_RECHECK = 1.0

    #: Rate-limit storage: ``memory://`` serves one process only; use
    #: ``redis://127.0.0.1:6379`` with several workers (production refuses memory://).
    RATELIMIT_STORAGE_URI = "memory://"
    #: Retry-After is set by the error handler on 429 answers only.
    RATELIMIT_HEADERS_ENABLED = False
    #: Failed staff sign-ins allowed per client address.
    LOGIN_RATE_LIMIT = "10 per 15 minutes"
    #: Failed invitation-link redemptions (unknown, revoked or malformed tokens) allowed per
    #: client address; counted apart from staff sign-ins.
    INVITATION_RATE_LIMIT = "20 per 10 minutes"

    #: Password hashing profile: "standard" (argon2id t=3, m=64 MiB, p=4). "fast" exists for
    #: test suites only and is refused in production.
    PASSWORD_HASHING = "standard"  # noqa: S105 - a profile name, not a password

    #: Uploads larger than this are refused before parsing (bytes).
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024

    #: Outgoing mail (invitations, reminders).
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "SkillsDelphi <no-reply@localhost>"

    #: Folder of questionnaire files; empty means ``surveys/`` beside the ``app`` package.
    SURVEYS_DIR: str | None = None

    #: Folder of per-consultation study keys (respondent pseudonyms). Keep it out of database
    #: backups; empty means ``instance/study-keys``.
    STUDY_KEY_DIR: str | None = None

    #: ESCO skill CSV files (as downloaded from ESCO, e.g. the transversal and ICT skills
    #: collections) used to suggest ESCO skills for themes; relative paths are read from the
    #: project folder (beside ``app``). Empty means no ESCO suggestions.
    ESCO_SKILLS_FILES: list[str] = []

    #: Where uploaded files wait between preview and import, in a folder per council
    #: (deleted after import, on cancel, or after 24 hours); outside the static folder.
    #: Empty means ``PANEL_UPLOAD_DIR`` (its former name) or else ``instance/uploads``.
    UPLOAD_DIR: str | None = None
    PANEL_UPLOAD_DIR: str | None = None
    #: Bytes the uploads waiting for import may take per council (SECURITY.md 2.5).
    UPLOAD_QUOTA_BYTES = 500 * 1024 * 1024
    #: Uploads are parsed in a child process limited to this much memory (address space,
    #: bytes) and this many seconds (processor time and wall clock; keep it under the web
    #: server's request timeout). Needs a POSIX system.
    UPLOAD_PARSE_MEMORY = 1024 * 1024 * 1024
    UPLOAD_PARSE_SECONDS = 20

    #: How the outputs of a published brief (HTML, PDF, data files) are rendered after the
    #: publication is committed: ``thread`` (a background thread of the same process, the
    #: embedded default), ``inline`` (in the request that published, after its commit) or
    #: ``off`` (left pending, to be started with "retry" on the version's page). None means
    #: ``thread``, or ``inline`` under TESTING.
    BRIEF_RENDERING: str | None = None

    #: How a forecast import confirmed in the browser runs: ``thread`` (after the request, in
    #: a background thread of the same process; its page shows the progress), ``inline`` (in
    #: the request, after its commit) or ``off`` (not started). None means ``thread``, or
    #: ``inline`` under TESTING.
    FORECAST_IMPORTING: str | None = None

    #: Staff roles whose members must sign in with a second factor (TOTP codes from an
    #: authenticator app, or a recovery code): a list such as ``["admin", "official"]`` (or
    #: ``FLASK_MFA_REQUIRED_ROLES='["admin"]'``, or ``"admin,official"``); an empty list
    #: requires it of nobody. None means every staff role in production and none in
    #: development and testing, so that the demonstration accounts sign in with their
    #: password alone. Staff of other roles may still set up a second factor, and then use it.
    MFA_REQUIRED_ROLES: list[str] | str | None = None
    #: Key that encrypts the stored TOTP secrets and derives the secrets and recovery codes
    #: offered at enrolment; kept outside the database. Empty means one derived from
    #: SECRET_KEY: changing SECRET_KEY then makes every second factor unusable, and each has
    #: to be reset (``flask --app app reset-second-factor EMAIL``).
    MFA_KEY: str | None = None
    #: Name of the service in authenticator apps (the issuer of the ``otpauth://`` URI).
    MFA_ISSUER = "SkillsDelphi"
    #: How long the second step of a sign-in (the code, or setting up the second factor)
    #: may take after the password was accepted.
    MFA_STEP_TIMEOUT = timedelta(minutes=10)
    #: Failed second steps allowed per staff account (besides LOGIN_RATE_LIMIT per address).
    MFA_ACCOUNT_RATE_LIMIT = "10 per 15 minutes"
