"""RFC 9457 problem+json for every error the API returns."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.exceptions import (
    DuplicateKeyError,
    ForeignKeyError,
    IntegrityError,
    NotFoundError,
    RepositoryError,
)
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from app.lib.logging import log

PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    423: "Locked",
    429: "Too many requests",
    500: "Internal error",
}


class Problem(HTTPException):
    """Raise from any handler: `raise Problem(409, "A business with that name exists")`."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(status_code=status, detail=detail, extra=extra or None)


def problem(status: int, detail: str, **extra: Any) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and exc.extra:
        extra["errors"] = exc.extra
        detail = "The request is not valid: see errors."
    else:
        detail = exc.detail
        if isinstance(exc.extra, dict):
            extra.update(exc.extra)
    response = problem(exc.status_code, detail, **extra)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _sqlstate(exc: BaseException | None) -> str:
    """The Postgres SQLSTATE behind an exception, following wrapped causes (advanced-alchemy
    wraps SQLAlchemy, which wraps asyncpg)."""
    while exc is not None:
        orig = getattr(exc, "orig", None)
        code = getattr(orig, "sqlstate", None) or getattr(exc, "sqlstate", None)
        if code:
            return str(code)
        exc = exc.__cause__
    return ""


_BAD_VALUE = (
    "A value in the request cannot be stored (for example a NUL character in a text,"
    " or a number out of range)."
)


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return problem(404, "No such item here.")


def _conflict(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if _sqlstate(exc).startswith("22"):
        return problem(400, _BAD_VALUE)
    return problem(409, "This conflicts with an existing item (a name or number already in use).")


def _repository(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if _sqlstate(exc).startswith("22"):
        return problem(400, _BAD_VALUE)
    log.error("repository error", path=request.url.path, error=str(exc))
    return problem(400, "The request could not be applied.")


def _database(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    """Postgres refused a value. SQLSTATE class 22 (data exception: a NUL character in text, a
    number out of range) is the client's input; class 23 is a constraint; the rest is ours."""
    sqlstate = _sqlstate(exc)
    if sqlstate.startswith("22"):
        return problem(400, _BAD_VALUE)
    if sqlstate.startswith("23"):
        return _conflict(request, exc)
    return _internal(request, exc)


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error", path=request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "Something went wrong on our side.")


exception_handlers: dict[type[Exception] | int, Any] = {
    HTTPException: _http,
    NotFoundError: _not_found,
    DuplicateKeyError: _conflict,
    IntegrityError: _conflict,
    ForeignKeyError: _conflict,
    # Raised by a flush inside a handler, outside the repository's exception wrapping.
    SqlIntegrityError: _conflict,
    DBAPIError: _database,
    RepositoryError: _repository,
    Exception: _internal,
}

__all__ = ["PROBLEM_JSON", "MediaType", "Problem", "exception_handlers", "problem"]
