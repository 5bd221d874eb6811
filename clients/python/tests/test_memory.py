"""The client against the service on its memory backend, and the seed's examples (examples/seed_examples.py, shown in
the README) run as a program against it."""

import os
import subprocess
import sys
import unittest

from .contract import ClientContract
from .support import CacheService

CLIENT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


class MemoryBackendTests(ClientContract, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Room for every test's entries (the service's default quota is a quarter of Cache:MaxSize per tenant).
        cls.service = CacheService({"Cache__MaxSize": "100000"})

    @classmethod
    def tearDownClass(cls):
        cls.service.stop()

    def test_the_seed_examples_print_what_the_readme_shows(self):
        # The seed's tenant_123 is used by this test only (the others use a tenant of their own), so its figures are exact.
        env = dict(os.environ, MOTADATA_CACHE_URL=self.service.url, PYTHONPATH=CLIENT)
        env.pop("MOTADATA_CACHE_API_KEY", None)
        run = subprocess.run([sys.executable, os.path.join(CLIENT, "examples", "seed_examples.py")], env=env,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(0, run.returncode, run.stderr)
        expected = ("key1 = 'value1'\nInvalidated 2 keys\nCleared 1 keys\nWarmed 3 keys\nHits: 3, Misses: 1\n"
                    "Hit Rate: 75.00%\nembedding:hello = [0.1, 0.2, 0.3]\n")
        self.assertEqual(expected, run.stdout)
        with open(os.path.join(CLIENT, "README.md"), encoding="utf-8") as readme:
            self.assertIn(expected, readme.read(), "the README shows the examples' output as they print it")


if __name__ == "__main__":
    unittest.main()
