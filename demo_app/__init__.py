"""The cors_wsgi demo: a Flask API behind CORSMiddleware and a frontend on another origin.

    python -m demo_app                                   # API :5000, frontend :3000
    gunicorn -w 4 -b 127.0.0.1:5000 demo_app.wsgi:app    # the API alone, production server

See demo_app.app for the endpoints and cors.toml for the policy.
"""
