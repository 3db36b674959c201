"""Two-way sync with QuickBooks Online: outbox push, webhook and CDC pull, initial import, mappings."""
