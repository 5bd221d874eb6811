"""The seed's examples (examples/seed_examples.py, shown in the README) run as a program against a real service."""

import os
import subprocess
import sys
import unittest

from .support import CacheService

CLIENT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


class SeedExamplesTests(unittest.TestCase):
    def test_the_seed_examples_print_what_the_readme_shows(self):
        service = CacheService()
        try:
            env = dict(os.environ, MOTADATA_CACHE_URL=service.url, PYTHONPATH=CLIENT)
            env.pop("MOTADATA_CACHE_API_KEY", None)
            run = subprocess.run([sys.executable, os.path.join(CLIENT, "examples", "seed_examples.py")], env=env,
                                 capture_output=True, text=True, timeout=120)
        finally:
            service.stop()
        self.assertEqual(0, run.returncode, run.stderr)
        expected = ("key1 = 'value1'\nInvalidated 2 keys\nCleared 1 keys\nWarmed 3 keys\nHits: 3, Misses: 1\n"
                    "Hit Rate: 75.00%\nembedding:hello = [0.1, 0.2, 0.3]\n")
        self.assertEqual(expected, run.stdout)
        with open(os.path.join(CLIENT, "README.md"), encoding="utf-8") as readme:
            self.assertIn(expected, readme.read(), "the README shows the examples' output as they print it")


if __name__ == "__main__":
    unittest.main()
