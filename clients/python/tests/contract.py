"""The client's behaviour against a real service, run on every backend (test_memory.py, test_dragonfly.py)."""

import socket
import threading
import urllib.parse
import uuid

from motadata_cache import (CacheConfig, CacheMechanism, InvalidRequestError, PayloadTooLargeError)


class ClientContract:
    """Mixed into a unittest.TestCase whose setUpClass sets ``cls.service`` (a support.CacheService)."""

    service = None

    def setUp(self):
        self.cache = CacheMechanism(CacheConfig(service_url=self.service.url, ttl=3600, timeout=30.0))
        self.addCleanup(self.cache.close)
        # A tenant of its own per test, so figures are exact whatever ran before.
        self.tenant = "t-" + uuid.uuid4().hex

    # --- values -------------------------------------------------------------------------------------------------

    def test_values_come_back_with_their_json_types(self):
        values = {
            "str": "hello", "empty": "", "unicode": "Grüße, 世界 🚀", "int": 42, "negative": -7, "big": 2 ** 62,
            "float": 3.25, "true": True, "false": False, "none": None, "list": [1, "two", None, [3.5]],
            "dict": {"name": "Ada", "tags": ["x"], "nested": {"n": 1}}, "number_text": "42",
        }
        for key, value in values.items():
            self.assertTrue(self.cache.set(key, value, tenant_id=self.tenant), key)
        for key, value in values.items():
            read = self.cache.get(key, tenant_id=self.tenant, default="<miss>")
            self.assertEqual(value, read, key)
            self.assertIs(type(value), type(read), key)

    def test_bytes_are_stored_as_octet_stream_and_come_back_as_bytes(self):
        data = bytes(range(256)) + b"\xff\xfe not utf-8"
        self.assertTrue(self.cache.set("blob", data, tenant_id=self.tenant))
        self.assertEqual(data, self.cache.get("blob", tenant_id=self.tenant))
        status, content_type, body = self.service.request("GET", f"/v1/tenants/{self.tenant}/keys/blob")
        self.assertEqual((200, "application/octet-stream", data), (status, content_type, body))
        self.assertTrue(self.cache.set("view", memoryview(b"abc"), tenant_id=self.tenant))
        self.assertEqual(b"abc", self.cache.get("view", tenant_id=self.tenant))

    def test_json_values_are_stored_as_application_json(self):
        self.cache.set("user_42", {"name": "Ada"}, tenant_id=self.tenant)
        status, content_type, body = self.service.request("GET", f"/v1/tenants/{self.tenant}/keys/user_42")
        self.assertEqual((200, "application/json", b'{"name":"Ada"}'), (status, content_type, body))

    def test_text_stored_by_another_client_comes_back_as_str(self):
        status, _, _ = self.service.request("PUT", f"/v1/tenants/{self.tenant}/keys/motd", "héllo".encode("utf-8"),
                                            {"Content-Type": "text/plain; charset=utf-8"})
        self.assertEqual(204, status)
        self.assertEqual("héllo", self.cache.get("motd", tenant_id=self.tenant))

    def test_a_miss_returns_the_default(self):
        self.assertIsNone(self.cache.get("absent", tenant_id=self.tenant))
        self.assertEqual("fallback", self.cache.get("absent", tenant_id=self.tenant, default="fallback"))

    def test_a_value_that_is_not_json_is_refused_before_sending(self):
        for value in (object(), float("nan"), {1.5j: 1}):
            with self.assertRaises(InvalidRequestError):
                self.cache.set("bad", value, tenant_id=self.tenant)
        self.assertEqual("<miss>", self.cache.get("bad", tenant_id=self.tenant, default="<miss>"))

    # --- keys and tenants ---------------------------------------------------------------------------------------

    def test_keys_with_any_characters_reach_their_own_entry(self):
        keys = ["a/b", "a%2Fb", "%2F", "%", "100%", "#frag", "q?x=1&y=2", "sp ace", "plus+sign", "ünïcødé/日本語",
                "emoji 🚀", "x/..", "a//b", "dir/", "/lead", "back\\slash", "semi;colon", "tab\tkey", "~tilde",
                "..."]
        for index, key in enumerate(keys):
            self.assertTrue(self.cache.set(key, index, tenant_id=self.tenant), key)
        for index, key in enumerate(keys):
            self.assertEqual(index, self.cache.get(key, tenant_id=self.tenant), key)
        self.assertEqual(len(keys), self.cache.get_stats(tenant_id=self.tenant)["size"])

    def test_a_key_with_a_slash_is_the_entry_the_service_names_by_that_path(self):
        self.cache.set("avatars/42.png", "plain", tenant_id=self.tenant)
        status, _, body = self.service.request("GET", f"/v1/tenants/{self.tenant}/keys/avatars/42.png")
        self.assertEqual((200, b'"plain"'), (status, body))
        # The key "a%2Fb" is not the key "a/b": its '%' is encoded, so the service decodes it once to "a%2Fb".
        self.cache.set("a%2Fb", "percent", tenant_id=self.tenant)
        status, _, body = self.service.request("GET", f"/v1/tenants/{self.tenant}/keys/a%252Fb")
        self.assertEqual((200, b'"percent"'), (status, body))
        self.assertIsNone(self.cache.get("a/b", tenant_id=self.tenant))

    def test_tenants_with_any_characters_are_kept_apart(self):
        tenants = [self.tenant + suffix for suffix in ("/x", "#y", "%z", "%2Fw", " ü日本", "?q")]
        for index, tenant in enumerate(tenants):
            self.cache.set("k", index, tenant_id=tenant)
        for index, tenant in enumerate(tenants):
            self.assertEqual(index, self.cache.get("k", tenant_id=tenant), tenant)
            self.assertEqual(1, self.cache.get_stats(tenant_id=tenant)["size"], tenant)
        status, _, body = self.service.request(
            "GET", f"/v1/tenants/{urllib.parse.quote(tenants[0], safe='')}/keys/k")
        self.assertEqual((200, b"0"), (status, body))

    def test_keys_the_service_refuses_raise_with_its_detail(self):
        with self.assertRaises(InvalidRequestError) as refused:
            self.cache.set("k" * 5000, 1, tenant_id=self.tenant)
        self.assertEqual(400, refused.exception.status)
        self.assertIn("1024", refused.exception.detail)
        self.assertEqual(refused.exception.detail, refused.exception.problem["detail"])
        for key in ("", ".", ".."):
            with self.assertRaises(InvalidRequestError):
                self.cache.get(key, tenant_id=self.tenant)
        with self.assertRaises(InvalidRequestError):
            self.cache.set(42, 1, tenant_id=self.tenant)
        with self.assertRaises(InvalidRequestError):
            self.cache.get("k", tenant_id="t" * 257)

    # --- ttl ----------------------------------------------------------------------------------------------------

    def test_a_bad_ttl_raises_and_stores_nothing(self):
        for ttl in (0, -1, 1.5, True, "60", 2 ** 31):
            with self.assertRaises(InvalidRequestError, msg=repr(ttl)):
                self.cache.set("k", 1, ttl=ttl, tenant_id=self.tenant)
        self.assertEqual("<miss>", self.cache.get("k", tenant_id=self.tenant, default="<miss>"))

    # --- removal ------------------------------------------------------------------------------------------------

    def test_delete_says_whether_the_key_was_there(self):
        self.cache.set("k", "v", tenant_id=self.tenant)
        self.assertTrue(self.cache.delete("k", tenant_id=self.tenant))
        self.assertFalse(self.cache.delete("k", tenant_id=self.tenant))
        self.assertIsNone(self.cache.get("k", tenant_id=self.tenant))

    def test_invalidate_removes_the_matching_keys_and_counts_them(self):
        for key in ("user_1", "user_2", "user_3", "session_1"):
            self.cache.set(key, key, tenant_id=self.tenant)
        self.assertEqual(3, self.cache.invalidate("user_*", tenant_id=self.tenant))
        self.assertIsNone(self.cache.get("user_1", tenant_id=self.tenant))
        self.assertEqual("session_1", self.cache.get("session_1", tenant_id=self.tenant))
        with self.assertRaises(InvalidRequestError):
            self.cache.invalidate("", tenant_id=self.tenant)

    def test_clear_removes_only_the_tenants_entries(self):
        other = self.tenant + "-other"
        for key in ("a", "b", "c"):
            self.cache.set(key, 1, tenant_id=self.tenant)
        self.cache.set("a", "kept", tenant_id=other)
        self.assertEqual(3, self.cache.clear(tenant_id=self.tenant))
        self.assertIsNone(self.cache.get("a", tenant_id=self.tenant))
        self.assertEqual("kept", self.cache.get("a", tenant_id=other))

    # --- warm and stats -----------------------------------------------------------------------------------------

    def test_warm_cache_stores_every_value_with_its_type(self):
        data = {"key1": "value1", "key2": 2, "key3": {"n": [1, 2]}, "key/4": None}
        self.assertEqual(4, self.cache.warm_cache(data, tenant_id=self.tenant))
        for key, value in data.items():
            self.assertEqual(value, self.cache.get(key, tenant_id=self.tenant, default="<miss>"), key)
        with self.assertRaises(InvalidRequestError):
            self.cache.warm_cache({"b": b"bytes"}, tenant_id=self.tenant)

    def test_get_stats_counts_this_tenants_traffic(self):
        self.cache.set("a", 1, tenant_id=self.tenant)
        self.cache.set("b", 2, tenant_id=self.tenant)
        self.cache.get("a", tenant_id=self.tenant)
        self.cache.get("a", tenant_id=self.tenant)
        self.cache.get("b", tenant_id=self.tenant)
        self.cache.get("absent", tenant_id=self.tenant)
        stats = self.cache.get_stats(tenant_id=self.tenant)
        self.assertEqual((3, 1, 2), (stats["hits"], stats["misses"], stats["size"]))
        self.assertAlmostEqual(0.75, stats["hit_rate"])
        self.assertGreater(stats["memory_usage"], 0)

    def test_get_stats_without_a_tenant_is_the_whole_cache(self):
        self.cache.set("a", 1, tenant_id=self.tenant)
        stats = self.cache.get_stats()
        self.assertIn(stats["backend"], ("Memory", "Dragonfly"))
        self.assertGreaterEqual(stats["size"], 1)

    def test_get_or_set_calls_the_factory_only_on_a_miss(self):
        calls = []

        def factory():
            calls.append(1)
            return {"computed": len(calls)}

        self.assertEqual({"computed": 1}, self.cache.get_or_set("k", factory, ttl=60, tenant_id=self.tenant))
        self.assertEqual({"computed": 1}, self.cache.get_or_set("k", factory, tenant_id=self.tenant))
        self.assertEqual(1, len(calls))
        self.cache.set("none", None, tenant_id=self.tenant)
        self.assertIsNone(self.cache.get_or_set("none", factory, tenant_id=self.tenant))
        self.assertEqual(1, len(calls))

    def test_the_default_tenant_is_the_configs(self):
        cache = CacheMechanism(CacheConfig(service_url=self.service.url, tenant_id=self.tenant, timeout=30.0))
        self.addCleanup(cache.close)
        cache.set("k", "v")
        self.assertEqual("v", self.cache.get("k", tenant_id=self.tenant))

    def test_a_value_over_the_services_limit_raises_payload_too_large(self):
        with self.assertRaises(PayloadTooLargeError) as refused:
            self.cache.set("big", b"x" * (1024 * 1024 + 1), tenant_id=self.tenant)
        self.assertEqual(413, refused.exception.status)
        self.assertIn("MaxValueBytes", refused.exception.detail)
        self.assertIsNone(self.cache.get("big", tenant_id=self.tenant))

    # --- connections --------------------------------------------------------------------------------------------

    def test_calls_of_one_thread_reuse_one_connection(self):
        self.cache.set("k", 1, tenant_id=self.tenant)
        first = self.cache._local.connection.sock.getsockname()
        for _ in range(20):
            self.cache.get("k", tenant_id=self.tenant)
            self.cache.get("absent", tenant_id=self.tenant)
        self.cache.delete("absent", tenant_id=self.tenant)
        self.assertEqual(first, self.cache._local.connection.sock.getsockname())

    def test_a_connection_the_server_closed_is_replaced_transparently(self):
        self.cache.set("k", 1, tenant_id=self.tenant)
        # End the connection under the client, as an idle timeout or a proxy would.

        self.cache._local.connection.sock.shutdown(socket.SHUT_RDWR)
        self.assertEqual(1, self.cache.get("k", tenant_id=self.tenant))

    def test_threads_each_get_their_own_connection_and_their_own_answers(self):
        errors = []
        ports = set()
        lock = threading.Lock()
        # Every thread holds its connection until all have one, so six open sockets have six local ports.
        together = threading.Barrier(6, timeout=120)

        def work(number):
            try:
                for index in range(25):
                    key = f"thread{number}/{index}"
                    self.cache.set(key, [number, index], tenant_id=self.tenant)
                    if self.cache.get(key, tenant_id=self.tenant) != [number, index]:
                        errors.append(key)
                with lock:
                    ports.add(self.cache._local.connection.sock.getsockname())
                together.wait()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(repr(error))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([], errors)
        self.assertEqual(6, len(ports))
        self.assertEqual(150, self.cache.get_stats(tenant_id=self.tenant)["size"])
