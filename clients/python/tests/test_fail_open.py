"""The seed's fail-open rule: while the service or its backend is away, reads miss and writes report failure,
with a log line; with fail_open=False the same calls raise CacheUnavailableError."""

import unittest
import uuid

from motadata_cache import CacheConfig, CacheMechanism, CacheUnavailableError

from .support import CacheService, RedisServer, free_port


class ServiceAwayTests(unittest.TestCase):
    def setUp(self):
        # A loopback port nothing listens on: every connection is refused at once.
        self.url = f"http://127.0.0.1:{free_port()}"
        self.cache = CacheMechanism(CacheConfig(service_url=self.url, timeout=30.0))
        self.addCleanup(self.cache.close)

    def test_every_call_fails_open_with_a_log_line(self):
        calls = {
            "get": lambda: self.cache.get("k", tenant_id="t", default="fallback"),
            "set": lambda: self.cache.set("k", 1, tenant_id="t"),
            "delete": lambda: self.cache.delete("k", tenant_id="t"),
            "invalidate": lambda: self.cache.invalidate("user_*", tenant_id="t"),
            "clear": lambda: self.cache.clear(tenant_id="t"),
            "warm_cache": lambda: self.cache.warm_cache({"a": 1}, tenant_id="t"),
        }
        expected = {"get": "fallback", "set": False, "delete": False, "invalidate": 0, "clear": 0, "warm_cache": 0}
        for name, call in calls.items():
            with self.assertLogs("motadata_cache", "WARNING") as logged:
                self.assertEqual(expected[name], call(), name)
            self.assertIn(name + " failed open", logged.output[0])
            self.assertIn(self.url, logged.output[0])
        with self.assertLogs("motadata_cache", "WARNING"):
            stats = self.cache.get_stats(tenant_id="t")
        self.assertEqual({"hits": 0, "misses": 0, "size": 0, "memory_usage": 0, "hit_rate": 0.0, "available": False}, stats)
        with self.assertLogs("motadata_cache", "WARNING"):
            self.assertEqual("computed", self.cache.get_or_set("k", lambda: "computed", tenant_id="t"))

    def test_with_fail_open_off_every_call_raises_cache_unavailable(self):
        cache = CacheMechanism(CacheConfig(service_url=self.url, timeout=30.0, fail_open=False))
        self.addCleanup(cache.close)
        for call in (lambda: cache.get("k", tenant_id="t"), lambda: cache.set("k", 1, tenant_id="t"),
                     lambda: cache.delete("k", tenant_id="t"), lambda: cache.clear(), lambda: cache.get_stats()):
            with self.assertRaises(CacheUnavailableError) as away:
                call()
            self.assertIn(self.url, str(away.exception))

    def test_a_restarted_service_is_reached_again_on_a_new_connection(self):
        port = int(self.url.rsplit(":", 1)[1])
        service = CacheService(port=port)
        try:
            self.assertTrue(self.cache.set("k", "before", tenant_id="t"))
        finally:
            service.stop()
        with self.assertLogs("motadata_cache", "WARNING"):
            self.assertEqual("away", self.cache.get("k", tenant_id="t", default="away"))
        service = CacheService(port=port)
        try:
            self.assertTrue(self.cache.set("k", "after", tenant_id="t"))
            self.assertEqual("after", self.cache.get("k", tenant_id="t"))
        finally:
            service.stop()


class BackendAwayTests(unittest.TestCase):
    """The service answers but its Dragonfly server is gone: the service's 404s and 503s become misses and False."""

    def setUp(self):
        self.redis = RedisServer()
        self.addCleanup(self.redis.stop)
        self.service = CacheService({"Cache__Backend": "Dragonfly", "Cache__DragonflyUrl": self.redis.url})
        self.addCleanup(self.service.stop)
        self.cache = CacheMechanism(CacheConfig(service_url=self.service.url, timeout=60.0))
        self.addCleanup(self.cache.close)
        self.tenant = "t-" + uuid.uuid4().hex

    def test_reads_miss_and_writes_fail_open_while_the_backend_is_away(self):
        self.assertTrue(self.cache.set("k", "v", tenant_id=self.tenant))
        self.assertEqual("v", self.cache.get("k", tenant_id=self.tenant))
        self.redis.stop()
        self.assertEqual("fallback", self.cache.get("k", tenant_id=self.tenant, default="fallback"))
        with self.assertLogs("motadata_cache", "WARNING") as logged:
            self.assertFalse(self.cache.set("k", "new", tenant_id=self.tenant))
        self.assertIn("503", logged.output[0])
        # The removal is kept by the service to be replayed (202): the entry is gone or will be.
        self.assertTrue(self.cache.delete("k", tenant_id=self.tenant))
        strict = CacheMechanism(CacheConfig(service_url=self.service.url, timeout=60.0, fail_open=False))
        self.addCleanup(strict.close)
        with self.assertRaises(CacheUnavailableError) as away:
            strict.set("k", "new", tenant_id=self.tenant)
        self.assertEqual(503, away.exception.status)
        self.assertIn("retry later", away.exception.detail)


if __name__ == "__main__":
    unittest.main()
