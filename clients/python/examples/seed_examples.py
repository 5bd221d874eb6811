"""The seed's own examples (cache-mechanism-spec.md, "Usage Instructions"), run against a Motadata.Cache service.

    dotnet run --project src/Motadata.Cache.Server &        # http://127.0.0.1:8080, memory backend
    PYTHONPATH=clients/python python3 clients/python/examples/seed_examples.py
"""

import os

from motadata_cache import CacheConfig, CacheMechanism

# Basic cache creation: the backend (memory or Dragonfly) is the service's choice, so the client names the service.
config = CacheConfig(
    backend="service",
    service_url=os.environ.get("MOTADATA_CACHE_URL", "http://127.0.0.1:8080"),
    api_key=os.environ.get("MOTADATA_CACHE_API_KEY"),
    ttl=3600,
)
cache = CacheMechanism(config)

# Basic operations
cache.set("key1", "value1", ttl=3600, tenant_id="tenant_123")
value = cache.get("key1", tenant_id="tenant_123")
print(f"key1 = {value!r}")
cache.delete("key1", tenant_id="tenant_123")
cache.clear(tenant_id="tenant_123")

# Pattern-based invalidation
cache.set("user_1", {"name": "Ada"}, tenant_id="tenant_123")
cache.set("user_2", {"name": "Alan"}, tenant_id="tenant_123")
cache.set("session_9", "token", tenant_id="tenant_123")
count = cache.invalidate("user_*", tenant_id="tenant_123")
print(f"Invalidated {count} keys")
count = cache.clear(tenant_id="tenant_123")
print(f"Cleared {count} keys")

# Cache warming
warm_data = {
    "key1": "value1",
    "key2": "value2",
    "key3": "value3"
}
count = cache.warm_cache(warm_data, tenant_id="tenant_123")
print(f"Warmed {count} keys")

# Statistics
cache.get("key1", tenant_id="tenant_123")
cache.get("key2", tenant_id="tenant_123")
cache.get("missing", tenant_id="tenant_123")
stats = cache.get_stats(tenant_id="tenant_123")
print(f"Hits: {stats['hits']}, Misses: {stats['misses']}")
print(f"Hit Rate: {stats['hits'] / (stats['hits'] + stats['misses']) * 100:.2f}%")

# Beyond the seed: compute once, then serve from the cache.
answer = cache.get_or_set("embedding:hello", lambda: [0.1, 0.2, 0.3], ttl=600, tenant_id="tenant_123")
print(f"embedding:hello = {answer}")
cache.close()
