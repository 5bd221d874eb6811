"""CacheConfig is checked once, naming every bad setting; no service needed."""

import unittest

from motadata_cache import CacheConfig, CacheConfigError, CacheError


class CacheConfigTests(unittest.TestCase):
    def test_the_defaults_are_the_issues(self):
        config = CacheConfig()
        self.assertEqual(("service", "http://127.0.0.1:8080", None, 3600, 5.0),
                         (config.backend, config.service_url, config.api_key, config.ttl, config.timeout))

    def test_every_bad_setting_is_named_in_one_error(self):
        with self.assertRaises(CacheConfigError) as bad:
            CacheConfig(backend="memory", service_url="ftp://x", api_key="", ttl=0, timeout=-1, tenant_id="")
        message = str(bad.exception)
        for name in ("backend", "service_url", "api_key", "ttl", "timeout", "tenant_id"):
            self.assertIn(name + " ", message)
        self.assertIsInstance(bad.exception, CacheError)
        self.assertIsInstance(bad.exception, ValueError)

    def test_a_none_ttl_leaves_the_default_to_the_service(self):
        self.assertIsNone(CacheConfig(ttl=None).ttl)


if __name__ == "__main__":
    unittest.main()
