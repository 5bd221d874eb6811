"""Motadata.Cache for Python: the seed's ``CacheMechanism`` API over the Motadata.Cache service (standard library only).

    from motadata_cache import CacheMechanism, CacheConfig
    cache = CacheMechanism(CacheConfig(service_url="http://127.0.0.1:8080", ttl=3600))
    cache.set("key1", "value1", ttl=3600, tenant_id="tenant_123")
"""

from .config import CacheConfig
from .errors import (AuthenticationError, CacheConfigError, CacheError, CacheUnavailableError, InvalidRequestError,
                     PayloadTooLargeError, PermissionDeniedError, RateLimitedError)
from .mechanism import CacheMechanism

__all__ = [
    "AuthenticationError", "CacheConfig", "CacheConfigError", "CacheError", "CacheMechanism", "CacheUnavailableError",
    "InvalidRequestError", "PayloadTooLargeError", "PermissionDeniedError", "RateLimitedError",
]
__version__ = "0.1.0"
