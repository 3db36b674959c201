"""Connecting a tenant to QuickBooks: the token endpoint, the consent flow, its state, the token store."""
