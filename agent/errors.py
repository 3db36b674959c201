"""Turning expected failures into words the model can act on (bugs are never caught here)."""

from __future__ import annotations

from pydantic import ValidationError

from domain.errors import AppError

# What a tool may fail with and still be worth telling the model about.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (AppError, ValidationError)


def describe_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        problems = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return "Invalid arguments — " + "; ".join(problems)
    if isinstance(exc, AppError):
        return exc.message
    raise TypeError(f"not an expected error: {exc!r}")


def error_code(exc: Exception) -> str:
    return exc.code if isinstance(exc, AppError) else "invalid_arguments"
