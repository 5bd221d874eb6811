"""The exceptions the client raises: one base class, one subclass per kind of mistake."""

from typing import Any, Dict, Optional


class CacheError(Exception):
    """Base of every error the client raises.

    When the service answered, ``status`` is the HTTP status and ``problem`` the RFC 9457 problem+json body it sent
    (``detail``, ``title``, ``trace_id`` ...); ``detail`` is the service's own explanation of what was wrong.
    """

    def __init__(self, message: str, status: Optional[int] = None, problem: Optional[Dict[str, Any]] = None):
        super().__init__(message)
        self.status = status
        self.problem: Dict[str, Any] = dict(problem or {})
        self.detail: Optional[str] = self.problem.get("detail") if isinstance(self.problem.get("detail"), str) else None
        self.trace_id: Optional[str] = self.problem.get("trace_id") if isinstance(self.problem.get("trace_id"), str) else None


class CacheConfigError(CacheError, ValueError):
    """A setting of ``CacheConfig`` is not valid (raised when the config is built)."""


class InvalidRequestError(CacheError, ValueError):
    """The caller's own mistake: a bad key, tenant, ttl, pattern or value (400, or refused before sending)."""


class AuthenticationError(CacheError):
    """401: no API key, or one the service does not know."""


class PermissionDeniedError(CacheError):
    """403: the API key may not use this tenant, or this route needs an admin key."""


class PayloadTooLargeError(CacheError):
    """413: the value, or the warm/invalidate body, is larger than the service accepts."""


class RateLimitedError(CacheError):
    """429: the tenant is over its rate limit; ``retry_after`` is the seconds the service asked to wait (or None)."""

    def __init__(self, message: str, status: Optional[int] = None, problem: Optional[Dict[str, Any]] = None,
                 retry_after: Optional[float] = None):
        super().__init__(message, status, problem)
        self.retry_after = retry_after


class CacheUnavailableError(CacheError):
    """The service or its backend is away (connection failure, timeout, 5xx).

    Only raised with ``CacheConfig(fail_open=False)``; by default the client fails open (a miss, False, 0).
    """
