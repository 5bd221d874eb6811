"""CacheMechanism: the seed's cache API over the Motadata.Cache service's REST routes."""

import http.client
import json
import logging
import os
import socket
import threading
import urllib.parse
import weakref
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from .config import CacheConfig
from .errors import (AuthenticationError, CacheError, CacheUnavailableError, InvalidRequestError,
                     PayloadTooLargeError, PermissionDeniedError, RateLimitedError)

logger = logging.getLogger("motadata_cache")

_MISSING = object()
_MAX_TTL = 2147483647
_OCTET_STREAM = "application/octet-stream"
_JSON = "application/json"
# A reused keep-alive connection the service (or a proxy) closed while idle fails on the next request with one of
# these before any answer arrives: such a request is sent again once on a fresh connection.
_STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                     ConnectionAbortedError, http.client.CannotSendRequest, http.client.BadStatusLine)


class _Unavailable(Exception):
    """Internal: the service or its backend did not serve the call (turned into fail-open or CacheUnavailableError)."""

    def __init__(self, message: str, status: Optional[int] = None, problem: Optional[Dict[str, Any]] = None):
        super().__init__(message)
        self.status = status
        self.problem = problem


class _Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class CacheMechanism:
    """The seed's ``CacheMechanism`` API, served by a Motadata.Cache service.

    Values keep their JSON type (str, int, float, bool, None, list, dict; a tuple comes back as a list); ``bytes``
    are stored as ``application/octet-stream`` and come back as ``bytes``. Keys and tenants may hold any characters:
    each is sent as one percent-encoded path segment. Each thread keeps one keep-alive connection to the service.

    While the service or its backend is away the client fails open (unless ``CacheConfig(fail_open=False)``):
    ``get`` returns ``default``, ``set`` and ``delete`` return False, ``invalidate``, ``clear`` and ``warm_cache``
    return 0, ``get_stats`` returns zero figures with ``"available": False``, each with a warning on the
    ``motadata_cache`` logger. A caller's own mistake (bad key, ttl or value, refused key, 4xx) raises a
    :class:`CacheError` subclass carrying the service's problem+json detail.
    """

    def __init__(self, config: Optional[CacheConfig] = None):
        self.config = config if config is not None else CacheConfig()
        parsed = urllib.parse.urlsplit(self.config.service_url)
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname
        self._port = parsed.port
        self._base_path = parsed.path.rstrip("/")
        self._headers = {"Accept": "application/json, application/problem+json, */*"}
        if self.config.api_key is not None:
            self._headers["Authorization"] = "Bearer " + self.config.api_key
        self._local = threading.local()
        # Weak: a thread that ends takes its connection with it; close() reaches the ones still in use.
        self._connections: "weakref.WeakSet[http.client.HTTPConnection]" = weakref.WeakSet()
        self._connections_lock = threading.Lock()

    # ----------------------------------------------------------------------------------------------------------------
    # The seed's API
    # ----------------------------------------------------------------------------------------------------------------

    def get(self, key: str, tenant_id: Optional[str] = None, default: Any = None) -> Any:
        """Returns the value stored under ``key`` for the tenant, or ``default`` on a miss (or an outage)."""
        path = self._key_path(key, tenant_id)
        try:
            response = self._call("GET", path, expected=(200, 404))
        except _Unavailable as away:
            return self._fail_open("get", away, default)
        if response.status == 404:
            return default
        try:
            return _decode_value(response)
        except (UnicodeDecodeError, ValueError) as error:
            # A value written by another client as application/json that is not JSON: a miss, not a crash.
            logger.warning("motadata_cache: the value of key %r is labelled %s but cannot be read (%s); "
                           "treated as a miss.", key, response.media_type, error)
            return default

    def set(self, key: str, value: Any, ttl: Optional[int] = None, tenant_id: Optional[str] = None) -> bool:
        """Stores ``value`` under ``key`` for ``ttl`` seconds (None: the config's ttl). True once stored."""
        path = self._key_path(key, tenant_id)
        body, content_type = _encode_value(value)
        query = _ttl_query(self._ttl(ttl))
        try:
            self._call("PUT", path + query, body=body, content_type=content_type, expected=(204,))
        except _Unavailable as away:
            return self._fail_open("set", away, False)
        return True

    def delete(self, key: str, tenant_id: Optional[str] = None) -> bool:
        """Removes ``key``. True when it was removed (or the removal was queued during a backend outage)."""
        path = self._key_path(key, tenant_id)
        try:
            response = self._call("DELETE", path, expected=(202, 204, 404))
        except _Unavailable as away:
            return self._fail_open("delete", away, False)
        return response.status != 404

    def invalidate(self, pattern: str, tenant_id: Optional[str] = None) -> int:
        """Removes the tenant's keys matching a Redis glob (``user_*``); returns how many were removed."""
        if not isinstance(pattern, str) or not pattern:
            raise InvalidRequestError(f"pattern is {pattern!r}; use a non-empty Redis glob such as \"user_*\".")
        path = self._tenant_path(tenant_id) + "/invalidate"
        try:
            response = self._call("POST", path, body=_json_bytes({"pattern": pattern}), content_type=_JSON,
                                  expected=(200, 202))
        except _Unavailable as away:
            return self._fail_open("invalidate", away, 0)
        return int(response.json().get("invalidated", 0))

    def clear(self, tenant_id: Optional[str] = None) -> int:
        """Removes every entry of the tenant; with no tenant, of every tenant (needs an admin key when keys are on).

        Returns how many entries were removed.
        """
        path = "/v1/keys" if tenant_id is None else self._tenant_path(tenant_id) + "/keys"
        try:
            response = self._call("DELETE", path, expected=(200, 202))
        except _Unavailable as away:
            return self._fail_open("clear", away, 0)
        return int(response.json().get("cleared", 0))

    def warm_cache(self, keys_and_values: Dict[str, Any], tenant_id: Optional[str] = None) -> int:
        """Stores many JSON values in one call, with the config's ttl; returns how many were stored."""
        if not isinstance(keys_and_values, dict):
            raise InvalidRequestError(f"keys_and_values is a {type(keys_and_values).__name__}; pass a dict of key to value.")
        for key, value in keys_and_values.items():
            _check_text("key", key)
            if key in (".", ".."):
                raise InvalidRequestError(f"key is {key!r}; the keys '.' and '..' cannot be named in a URL path, "
                                          "so the service refuses them.")
            if isinstance(value, (bytes, bytearray, memoryview)):
                raise InvalidRequestError(f"the value of key {key!r} is bytes; warm_cache stores JSON values, so "
                                          "store bytes with set().")
        request: Dict[str, Any] = {"entries": keys_and_values}
        if self.config.ttl is not None:
            request["ttl"] = self.config.ttl
        body = _json_bytes(request)
        try:
            response = self._call("POST", self._tenant_path(tenant_id) + "/warm", body=body, content_type=_JSON,
                                  expected=(200,))
        except _Unavailable as away:
            return self._fail_open("warm_cache", away, 0)
        return int(response.json().get("warmed", 0))

    def get_stats(self, tenant_id: Optional[str] = None) -> Dict[str, Any]:
        """The tenant's statistics (``hits``, ``misses``, ``size``, ``memory_usage``, ``hit_rate``); with no
        tenant, the whole cache's (needs an admin key when keys are on), which adds ``backend``, ``evictions`` ...
        """
        path = "/v1/stats" if tenant_id is None else self._tenant_path(tenant_id) + "/stats"
        try:
            response = self._call("GET", path, expected=(200,))
        except _Unavailable as away:
            return self._fail_open("get_stats", away, {"hits": 0, "misses": 0, "size": 0, "memory_usage": 0,
                                                       "hit_rate": 0.0, "available": False})
        return response.json()

    def get_or_set(self, key: str, factory: Callable[[], Any], ttl: Optional[int] = None,
                   tenant_id: Optional[str] = None) -> Any:
        """The stored value, or ``factory()`` stored for ``ttl`` seconds and returned (a stored None is a hit).

        During an outage the factory's value is returned without being stored.
        """
        value = self.get(key, tenant_id=tenant_id, default=_MISSING)
        if value is not _MISSING:
            return value
        value = factory()
        self.set(key, value, ttl=ttl, tenant_id=tenant_id)
        return value

    def close(self) -> None:
        """Closes every connection the client opened (any thread's); later calls open new ones."""
        with self._connections_lock:
            connections, self._connections = list(self._connections), weakref.WeakSet()
        for connection in connections:
            connection.close()
        self._local = threading.local()

    def __enter__(self) -> "CacheMechanism":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CacheMechanism({self.config!r})"

    # ----------------------------------------------------------------------------------------------------------------
    # Paths and arguments
    # ----------------------------------------------------------------------------------------------------------------

    def _tenant_path(self, tenant_id: Optional[str]) -> str:
        tenant = self.config.tenant_id if tenant_id is None else tenant_id
        _check_text("tenant_id", tenant)
        if not 1 <= len(tenant) <= 256:
            raise InvalidRequestError(f"tenant_id is {len(tenant)} characters long; a tenant is 1 to 256 characters.")
        return "/v1/tenants/" + _segment(tenant)

    def _key_path(self, key: str, tenant_id: Optional[str]) -> str:
        _check_text("key", key)
        if key in (".", ".."):
            raise InvalidRequestError(f"key is {key!r}; the keys '.' and '..' cannot be named in a URL path, so the "
                                      "service refuses them. Use another key.")
        return self._tenant_path(tenant_id) + "/keys/" + _segment(key)

    def _ttl(self, ttl: Optional[int]) -> Optional[int]:
        if ttl is None:
            return self.config.ttl
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= _MAX_TTL:
            raise InvalidRequestError(f"ttl is {ttl!r}; use a whole number of seconds from 1 to {_MAX_TTL}, or None "
                                      "for the configured default.")
        return ttl

    # ----------------------------------------------------------------------------------------------------------------
    # HTTP
    # ----------------------------------------------------------------------------------------------------------------

    def _connection(self) -> Tuple[http.client.HTTPConnection, bool]:
        """This thread's keep-alive connection, and whether it was used before (so it may have gone stale)."""
        connection = getattr(self._local, "connection", None)
        # A forked child must not share its parent's socket.
        if connection is not None and self._local.pid == os.getpid():
            return connection, True
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        connection = cls(self._host, self._port, timeout=self.config.timeout)
        self._local.connection = connection
        self._local.pid = os.getpid()
        with self._connections_lock:
            self._connections.add(connection)
        return connection, False

    def _drop_connection(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        self._local.connection = None
        with self._connections_lock:
            self._connections.discard(connection)

    def _call(self, method: str, path: str, body: Optional[bytes] = None, content_type: Optional[str] = None,
              expected: Iterable[int] = (200,)) -> _Response:
        headers = dict(self._headers)
        if content_type is not None:
            headers["Content-Type"] = content_type
        if body is None and method in ("PUT", "POST"):
            body = b""
        target = self._base_path + path
        for attempt in (1, 2):
            connection, reused = self._connection()
            try:
                connection.request(method, target, body=body, headers=headers)
                raw = connection.getresponse()
                response = _Response(raw.status, raw.headers, raw.read())
            except socket.timeout as error:
                self._drop_connection(connection)
                raise _Unavailable(f"{method} {target}: {self.config.service_url} did not answer within "
                                   f"{self.config.timeout} s.") from error
            except _STALE_CONNECTION as error:
                self._drop_connection(connection)
                if reused and attempt == 1:
                    continue
                raise _Unavailable(f"{method} {target}: the connection to {self.config.service_url} failed ({error!r}).") from error
            except (OSError, http.client.HTTPException) as error:
                self._drop_connection(connection)
                raise _Unavailable(f"{method} {target}: {self.config.service_url} did not answer ({error!r}).") from error
            if response.headers.get("Connection", "").lower() == "close":
                self._drop_connection(connection)
            break
        if response.status in expected:
            return response
        raise self._error(method, target, response)

    def _error(self, method: str, target: str, response: _Response) -> Exception:
        problem: Dict[str, Any] = {}
        if response.body:
            try:
                parsed = response.json()
                if isinstance(parsed, dict):
                    problem = parsed
            except ValueError:
                pass
        detail = problem.get("detail") or problem.get("title") or response.body[:200].decode("utf-8", "replace")
        message = f"{method} {target}: {response.status} {detail}".rstrip()
        status = response.status
        if status >= 500:
            return _Unavailable(message, status, problem)
        if status in (400, 404, 414, 431):
            return InvalidRequestError(message, status, problem)
        if status == 401:
            return AuthenticationError(message, status, problem)
        if status == 403:
            return PermissionDeniedError(message, status, problem)
        if status == 413:
            return PayloadTooLargeError(message, status, problem)
        if status == 429:
            retry_after = response.headers.get("Retry-After")
            try:
                seconds = float(retry_after) if retry_after is not None else None
            except ValueError:
                seconds = None
            return RateLimitedError(message, status, problem, retry_after=seconds)
        return CacheError(message, status, problem)

    def _fail_open(self, operation: str, away: _Unavailable, result: Any) -> Any:
        if not self.config.fail_open:
            raise CacheUnavailableError(str(away), away.status, away.problem) from away
        logger.warning("motadata_cache: %s failed open (%s).", operation, away)
        return result


def _check_text(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} is a {type(value).__name__} ({value!r}); use a str.")
    if not value:
        raise InvalidRequestError(f"{name} is empty; use at least one character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidRequestError(f"{name} {value!r} holds a lone surrogate; use well-formed Unicode text.") from error


def _segment(text: str) -> str:
    # Every character but the unreserved ones is percent-encoded as UTF-8, '/' included: the service decodes a
    # segment once, so the key 'a/b' travels as 'a%2Fb' and '%2F' as '%252F' and each reaches its own entry.
    return urllib.parse.quote(text, safe="", encoding="utf-8", errors="strict")


def _ttl_query(ttl: Optional[int]) -> str:
    return "" if ttl is None else f"?ttl={ttl}"


def _json_bytes(value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise InvalidRequestError(f"the value cannot be stored as JSON ({error}); store str, int, float (finite), "
                                  "bool, None, list, dict, or bytes.") from error
    except UnicodeEncodeError as error:
        raise InvalidRequestError(f"the value holds a lone surrogate ({error}); use well-formed Unicode text.") from error


def _encode_value(value: Any) -> Tuple[bytes, str]:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), _OCTET_STREAM
    return _json_bytes(value), _JSON


def _decode_value(response: _Response) -> Any:
    media_type = response.media_type
    if media_type == _JSON or media_type.endswith("+json"):
        return response.json()
    if media_type.startswith("text/"):
        charset = response.headers.get_content_charset() or "utf-8"
        return response.body.decode(charset)
    return response.body
