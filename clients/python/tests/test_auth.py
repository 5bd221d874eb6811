"""The client against a service with API keys: the key is sent as a bearer token, and the service's refusals raise."""

import unittest

from motadata_cache import AuthenticationError, CacheConfig, CacheMechanism, PermissionDeniedError

from .support import CacheService

TENANT_KEY = "acme-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"


class ApiKeyTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.service = CacheService({
            "Service__ApiKeys__0__Key": TENANT_KEY, "Service__ApiKeys__0__Tenants__0": "acme",
            "Service__ApiKeys__1__Key": ADMIN_KEY, "Service__ApiKeys__1__Admin": "true",
            "Service__ApiKeys__1__Tenants__0": "*",
        })

    @classmethod
    def tearDownClass(cls):
        cls.service.stop()

    def client(self, api_key):
        cache = CacheMechanism(CacheConfig(service_url=self.service.url, api_key=api_key, timeout=30.0))
        self.addCleanup(cache.close)
        return cache

    def test_a_tenant_key_reaches_its_tenant(self):
        cache = self.client(TENANT_KEY)
        self.assertTrue(cache.set("user_42", {"name": "Ada"}, tenant_id="acme"))
        self.assertEqual({"name": "Ada"}, cache.get("user_42", tenant_id="acme"))
        self.assertEqual(1, cache.get_stats(tenant_id="acme")["hits"])

    def test_no_key_raises_authentication_error_not_a_miss(self):
        cache = self.client(None)
        with self.assertRaises(AuthenticationError) as refused:
            cache.get("user_42", tenant_id="acme")
        self.assertEqual(401, refused.exception.status)
        with self.assertRaises(AuthenticationError):
            self.client("not-a-configured-key-000000").set("k", 1, tenant_id="acme")

    def test_another_tenant_or_an_admin_route_raises_permission_denied(self):
        cache = self.client(TENANT_KEY)
        for call in (lambda: cache.get("k", tenant_id="globex"), lambda: cache.set("k", 1, tenant_id="globex"),
                     lambda: cache.get_stats(), lambda: cache.clear()):
            with self.assertRaises(PermissionDeniedError) as refused:
                call()
            self.assertEqual(403, refused.exception.status)
            self.assertTrue(refused.exception.detail)
            self.assertNotIn(TENANT_KEY, str(refused.exception))

    def test_an_admin_key_reads_the_whole_cache(self):
        self.client(TENANT_KEY).set("k", 1, tenant_id="acme")
        stats = self.client(ADMIN_KEY).get_stats()
        self.assertEqual("Memory", stats["backend"])
        self.assertGreaterEqual(stats["size"], 1)

    def test_the_key_is_not_shown_by_repr(self):
        cache = self.client(TENANT_KEY)
        self.assertNotIn(TENANT_KEY, repr(cache))
        self.assertNotIn(TENANT_KEY, repr(cache.config))


if __name__ == "__main__":
    unittest.main()
