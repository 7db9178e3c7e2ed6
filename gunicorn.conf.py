"""Gunicorn settings for SkillsDelphi: ``gunicorn -c gunicorn.conf.py 'app:create_app()'``.

Gunicorn also reads this file by itself when started from the project folder. Behind a TLS
proxy on the same host; command-line options override these values.

Environment:
  GUNICORN_BIND        address to listen on (default 127.0.0.1:8000; unix:/path works too)
  WEB_CONCURRENCY      worker processes (default 4)
  GUNICORN_TIMEOUT     seconds before a silent worker is restarted (default 30)
  GUNICORN_ACCESS_LOG  access log file, ``-`` for standard output (default ``-``)
  GUNICORN_ERROR_LOG   error log file, ``-`` for standard error (default ``-``)
  FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-Proto is believed (gunicorn's own setting,
                       default 127.0.0.1,::1); not set here, it belongs to the proxy setup

Access log (SECURITY.md 2.2, 2.3; S7): one line per request with the client's network only
(IPv4 /24, IPv6 /48), time, method, path without query string (``%(U)s``, never ``%(r)s``:
the query of ``/i?t=...`` is a panellist's personal link), status, bytes, duration and the
request id the application sends as ``X-Request-Id``. No Referer, user agent or cookies.
``app.gunicorn_logger.PrivacyLogger`` enforces this for any format. Rotate the logs and
delete them after 30 days at the latest.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30

logger_class = "app.gunicorn_logger.PrivacyLogger"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms id=%({x-request-id}o)s'


def on_starting(server):
    """Refuse to start on an unsafe configuration with one clear line, before any worker."""
    import sys

    from app import ConfigurationError, create_app

    try:
        create_app()
    except ConfigurationError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
