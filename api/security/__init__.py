"""Credentials the service issues and checks: API keys, widget embed tokens, customer links."""
