"""The client against the service on its memory backend."""

import unittest

from .contract import ClientContract
from .support import CacheService


class MemoryBackendTests(ClientContract, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Room for every test's entries (the service's default quota is a quarter of Cache:MaxSize per tenant).
        cls.service = CacheService({"Cache__MaxSize": "100000"})

    @classmethod
    def tearDownClass(cls):
        cls.service.stop()


if __name__ == "__main__":
    unittest.main()
