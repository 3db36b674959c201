"""Domain services: plain functions over a session and an actor. They flush; the caller commits."""
