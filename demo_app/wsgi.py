"""The WSGI entry point for production servers.

    gunicorn -w 4 -b 127.0.0.1:5000 demo_app.wsgi:app
    CORS_ALLOW_ORIGINS=https://app.example.com gunicorn -b 0.0.0.0:8000 demo_app.wsgi:app

The policy is read from cors.toml when each worker imports this module; a bad file stops the worker at
boot with a ConfigError naming the file, rule and key, instead of serving without CORS.
"""

from __future__ import annotations

from .app import create_app

app = create_app()
