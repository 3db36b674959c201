"""QuickBooks Online integration: OAuth and token store, the v3 API client, mapping, import, sync, emulator."""
