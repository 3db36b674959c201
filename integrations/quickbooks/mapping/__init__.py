"""Field-level mapping between local rows and QBO JSON: lists, documents, their lines, write-offs."""
