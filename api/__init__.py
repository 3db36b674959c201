"""The service: FastAPI app, command line, console and widget.

``app.create_app(settings)`` builds the application; its lifespan makes the engine, the shared HTTP client, the
agent (``agent_wiring``), the QuickBooks services (``qbo_wiring``) and the sync worker (``worker_wiring``).
``deps`` holds the dependency aliases routes declare (session committed at the boundary, the actor from an API
key or a widget embed token, role checks); ``errors`` renders every failure as problem+json; ``middleware``,
``cors`` and ``idempotency`` wrap every request. Routes live in ``routes/``, response shapes in ``schemas/``,
the chat event stream in ``chat/``, server-rendered pages in ``templates/`` and their scripts in ``static/``.
"""
