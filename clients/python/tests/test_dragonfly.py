"""The client against the service on its Dragonfly backend, served by a real redis-server."""

import unittest

from .contract import ClientContract
from .support import CacheService, RedisServer


class DragonflyBackendTests(ClientContract, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        try:
            cls.service = CacheService({"Cache__Backend": "Dragonfly", "Cache__DragonflyUrl": cls.redis.url})
        except Exception:
            cls.redis.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.service.stop()
        cls.redis.stop()

    def test_the_ttl_reaches_the_server(self):
        self.cache.set("ttl-key", "v", ttl=1000, tenant_id=self.tenant)
        self.cache.set("default-ttl-key", "v", tenant_id=self.tenant)
        stored = self.redis.command("KEYS", f"*{self.tenant}*ttl-key")
        self.assertEqual(2, len(stored), stored)
        ttls = {name.rsplit(":", 1)[-1]: self.redis.command("PTTL", name) for name in stored}
        # Checked on the server, not by waiting: set with ttl=1000 lives at most 1000 s, the config's 3600 s default.
        self.assertTrue(900_000 < ttls["ttl-key"] <= 1_000_000, ttls)
        self.assertTrue(3_500_000 < ttls["default-ttl-key"] <= 3_600_000, ttls)


if __name__ == "__main__":
    unittest.main()
