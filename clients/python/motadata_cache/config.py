"""CacheConfig: the client's settings, checked once when built."""

import math
import urllib.parse
from typing import List, Optional

from .errors import CacheConfigError


class CacheConfig:
    """Settings of a :class:`CacheMechanism` that talks to the Motadata.Cache service.

    ``backend`` is ``"service"`` (the only backend of this client: the memory and Dragonfly backends live in the
    service). ``ttl`` is the default time-to-live in seconds of ``set``/``warm_cache`` (None: the service's
    ``Cache:Ttl``). ``timeout`` bounds each HTTP call in seconds. ``tenant_id`` is the tenant used when a call passes
    none. ``fail_open`` (default True, the seed's rule): while the service or its backend is away, reads are misses and
    writes report failure, with a log line, instead of raising.
    """

    def __init__(self, backend: str = "service", service_url: str = "http://127.0.0.1:8080",
                 api_key: Optional[str] = None, ttl: Optional[int] = 3600, timeout: float = 5.0,
                 tenant_id: str = "default", fail_open: bool = True):
        self.backend = backend
        self.service_url = service_url
        self.api_key = api_key
        self.ttl = ttl
        self.timeout = timeout
        self.tenant_id = tenant_id
        self.fail_open = fail_open
        problems = self._problems()
        if problems:
            raise CacheConfigError("The cache configuration is not valid:\n- " + "\n- ".join(problems))

    def _problems(self) -> List[str]:
        problems = []
        if self.backend != "service":
            problems.append(f"backend is {self.backend!r}; this client talks to the Motadata.Cache service, so use "
                            "backend=\"service\" (choose memory or Dragonfly in the service's Cache:Backend).")
        parsed = urllib.parse.urlsplit(self.service_url) if isinstance(self.service_url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
            problems.append(f"service_url is {self.service_url!r}; use an http(s) URL such as \"http://127.0.0.1:8080\".")
        elif parsed.query or parsed.fragment:
            problems.append(f"service_url is {self.service_url!r}; it may not have a query or a fragment.")
        if self.api_key is not None and (not isinstance(self.api_key, str) or not self.api_key
                                         or any(c in self.api_key for c in "\r\n")):
            problems.append("api_key must be None or a non-empty string on one line.")
        if self.ttl is not None and (isinstance(self.ttl, bool) or not isinstance(self.ttl, int)
                                     or not 1 <= self.ttl <= 2147483647):
            problems.append(f"ttl is {self.ttl!r}; use a whole number of seconds from 1 to 2147483647, or None for "
                            "the service's default.")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) \
                or not math.isfinite(self.timeout) or self.timeout <= 0:
            problems.append(f"timeout is {self.timeout!r}; use a positive number of seconds, such as 5.0.")
        if not isinstance(self.tenant_id, str) or not 1 <= len(self.tenant_id) <= 256:
            problems.append(f"tenant_id is {self.tenant_id!r}; use a string of 1 to 256 characters.")
        return problems

    def __repr__(self) -> str:
        key = None if self.api_key is None else "***"
        return (f"CacheConfig(backend={self.backend!r}, service_url={self.service_url!r}, api_key={key}, "
                f"ttl={self.ttl!r}, timeout={self.timeout!r}, tenant_id={self.tenant_id!r}, fail_open={self.fail_open!r})")
