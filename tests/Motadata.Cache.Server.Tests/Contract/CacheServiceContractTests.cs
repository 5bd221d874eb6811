using System.Net;
using System.Text;
using System.Text.Json;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Contract;

/// <summary>
/// What the service promises on every backend, checked over real HTTP against the real server: each route of the
/// API, its status codes, byte-for-byte bodies with their content types, and tenant isolation.
/// </summary>
public abstract class CacheServiceContractTests
{
    protected const int MaxValueBytes = 4096;

    /// <summary>The settings that choose and configure the backend under test.</summary>
    protected abstract IEnumerable<KeyValuePair<string, string?>> BackendSettings { get; }

    protected async Task<ServiceHost> StartAsync(params (string Key, string? Value)[] extra)
    {
        var settings = new List<KeyValuePair<string, string?>>(BackendSettings)
        {
            new("Cache:MaxValueBytes", MaxValueBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        foreach (var (key, value) in extra)
        {
            settings.Add(new(key, value));
        }

        return await ServiceHost.StartAsync(settings);
    }

    protected static string NewTenant() => "t-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task BinaryBodyRoundTripsByteForByteWithItsContentType()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        var body = new byte[3000];
        new Random(42).NextBytes(body);
        body[0] = 0;
        body[1] = 1;

        var put = await client.PutAsync($"v1/tenants/{tenant}/keys/blob", Http.Bytes(body, "image/png"));
        await Http.AssertStatusAsync(put, HttpStatusCode.NoContent);

        var get = await client.GetAsync($"v1/tenants/{tenant}/keys/blob");
        await Http.AssertStatusAsync(get, HttpStatusCode.OK);
        Assert.Equal("image/png", get.Content.Headers.ContentType?.ToString());
        Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task JsonBodyRoundTripsByteForByteWithItsContentType()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        var json = Encoding.UTF8.GetBytes("{ \"name\" : \"Zoë\",\n  \"n\": 1.50e2, \"emoji\": \"\\ud83d\\ude00\" }");

        var put = await client.PutAsync($"v1/tenants/{tenant}/keys/doc", Http.Bytes(json, "application/json; charset=utf-8"));
        await Http.AssertStatusAsync(put, HttpStatusCode.NoContent);

        var get = await client.GetAsync($"v1/tenants/{tenant}/keys/doc");
        await Http.AssertStatusAsync(get, HttpStatusCode.OK);
        Assert.Equal("application/json; charset=utf-8", get.Content.Headers.ContentType?.ToString());
        Assert.Equal(json, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task BodyWithoutContentTypeIsServedAsOctetStream()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();

        await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/{tenant}/keys/raw", Http.Bytes([1, 2, 3], null)), HttpStatusCode.NoContent);

        var get = await client.GetAsync($"v1/tenants/{tenant}/keys/raw");
        Assert.Equal("application/octet-stream", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new byte[] { 1, 2, 3 }, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task EmptyBodyIsStoredAndServedAsEmpty()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();

        await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/{tenant}/keys/empty", Http.Bytes([], "text/plain")), HttpStatusCode.NoContent);

        var get = await client.GetAsync($"v1/tenants/{tenant}/keys/empty");
        await Http.AssertStatusAsync(get, HttpStatusCode.OK);
        Assert.Empty(await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PutReplacesTheValueAndItsContentType()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();

        await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("one"u8.ToArray(), "text/plain"));
        await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("[2]"u8.ToArray(), "application/json"));

        var get = await client.GetAsync($"v1/tenants/{tenant}/keys/k");
        Assert.Equal("application/json", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[2]", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetOfAKeyNeverSetIs404Problem()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();

        var detail = await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{NewTenant()}/keys/missing"), HttpStatusCode.NotFound);
        Assert.Contains("missing", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysMayContainSlashesSentPlainOrPercentEncoded()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();

        await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/{tenant}/keys/users/42/profile", Http.Bytes("p"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);

        var encoded = await client.GetAsync($"v1/tenants/{tenant}/keys/users%2F42%2Fprofile");
        await Http.AssertStatusAsync(encoded, HttpStatusCode.OK);
        Assert.Equal("p", await encoded.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PercentEncodedCharactersAreDecodedOnceSoEncodedPercentAndEncodedSlashDiffer()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();

        // "a%2Fb" is the key "a/b"; "a%252Fb" is the key "a%2Fb": two different keys.
        await client.PutAsync($"v1/tenants/{tenant}/keys/a%2Fb", Http.Bytes("slash"u8.ToArray(), "text/plain"));
        await client.PutAsync($"v1/tenants/{tenant}/keys/a%252Fb", Http.Bytes("percent"u8.ToArray(), "text/plain"));
        await client.PutAsync($"v1/tenants/{tenant}/keys/%E2%9C%93%20space", Http.Bytes("unicode"u8.ToArray(), "text/plain"));

        Assert.Equal("slash", await client.GetStringAsync($"v1/tenants/{tenant}/keys/a/b"));
        Assert.Equal("percent", await client.GetStringAsync($"v1/tenants/{tenant}/keys/a%252Fb"));
        Assert.Equal("unicode", await client.GetStringAsync($"v1/tenants/{tenant}/keys/%E2%9C%93%20space"));

        // The invalidation glob sees the decoded keys.
        var invalidated = await Http.ReadJsonAsync(await client.PostAsync($"v1/tenants/{tenant}/invalidate", Http.Json("{\"pattern\": \"a/*\"}")));
        Assert.Equal(1, invalidated.GetProperty("invalidated").GetInt64());
        Assert.Equal("percent", await client.GetStringAsync($"v1/tenants/{tenant}/keys/a%252Fb"));
    }

    [Fact]
    public async Task DotSegmentBeforeTheKeyIs400()
    {
        await using var host = await StartAsync();

        // HttpClient removes dot segments itself, so the request is written by hand, as sent by `curl --path-as-is`.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(host.BaseAddress.Host, host.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /v1/tenants/{NewTenant()}/../other/keys/k HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TenantsArePercentDecodedToo()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = "org/" + NewTenant();
        var encodedTenant = Uri.EscapeDataString(tenant);

        await client.PutAsync($"v1/tenants/{encodedTenant}/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain"));

        var stats = await Http.ReadJsonAsync(await client.GetAsync($"v1/tenants/{encodedTenant}/stats"));
        Assert.Equal(1, stats.GetProperty("size").GetInt64());
        Assert.Equal("v", await client.GetStringAsync($"v1/tenants/{encodedTenant}/keys/k"));
    }

    [Fact]
    public async Task DeleteRemovesTheKeyAndDeletingItAgainIs404()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain"));

        await Http.AssertStatusAsync(await client.DeleteAsync($"v1/tenants/{tenant}/keys/k"), HttpStatusCode.NoContent);

        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/k"), HttpStatusCode.NotFound);
        await Http.AssertProblemAsync(await client.DeleteAsync($"v1/tenants/{tenant}/keys/k"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ClearingATenantRemovesAndCountsItsKeysOnly()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        var other = NewTenant();
        for (var i = 0; i < 3; i++)
        {
            await client.PutAsync($"v1/tenants/{tenant}/keys/k{i}", Http.Bytes("v"u8.ToArray(), "text/plain"));
        }

        await client.PutAsync($"v1/tenants/{other}/keys/k0", Http.Bytes("kept"u8.ToArray(), "text/plain"));

        var cleared = await Http.ReadJsonAsync(await client.DeleteAsync($"v1/tenants/{tenant}/keys"));

        Assert.Equal(3, cleared.GetProperty("cleared").GetInt64());
        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/k0"), HttpStatusCode.NotFound);
        Assert.Equal("kept", await client.GetStringAsync($"v1/tenants/{other}/keys/k0"));
    }

    [Fact]
    public async Task InvalidateRemovesTheTenantsMatchingKeysOnly()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        var other = NewTenant();
        foreach (var key in new[] { "user_1", "user_2", "order_1" })
        {
            await client.PutAsync($"v1/tenants/{tenant}/keys/{key}", Http.Bytes("v"u8.ToArray(), "text/plain"));
            await client.PutAsync($"v1/tenants/{other}/keys/{key}", Http.Bytes("v"u8.ToArray(), "text/plain"));
        }

        var invalidated = await Http.ReadJsonAsync(await client.PostAsync($"v1/tenants/{tenant}/invalidate", Http.Json("{\"pattern\": \"user_*\"}")));

        Assert.Equal(2, invalidated.GetProperty("invalidated").GetInt64());
        Assert.False(invalidated.TryGetProperty("queued", out _), "A removal the backend took says nothing of a queue.");
        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/user_1"), HttpStatusCode.NotFound);
        await Http.AssertStatusAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/order_1"), HttpStatusCode.OK);
        await Http.AssertStatusAsync(await client.GetAsync($"v1/tenants/{other}/keys/user_1"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task RemovalsThatFindNothingWhileTheBackendIsHealthyAre404Or200WithZeroNotQueued()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();

        var invalidated = await Http.ReadJsonAsync(await client.PostAsync($"v1/tenants/{tenant}/invalidate", Http.Json("{\"pattern\": \"none_*\"}")));
        var cleared = await Http.ReadJsonAsync(await client.DeleteAsync($"v1/tenants/{tenant}/keys"));

        Assert.Equal(0, invalidated.GetProperty("invalidated").GetInt64());
        Assert.False(invalidated.TryGetProperty("queued", out _));
        Assert.Equal(0, cleared.GetProperty("cleared").GetInt64());
        Assert.False(cleared.TryGetProperty("queued", out _));
        await Http.AssertProblemAsync(await client.DeleteAsync($"v1/tenants/{tenant}/keys/none"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WarmStoresEveryValueAsItsJsonTextServedAsApplicationJson()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        const string body = "{\"entries\": {\"obj\": {\"a\": [1, 2.50, null]}, \"str\": \"h\\u00e9llo\", \"num\": 7, \"t\": true, \"nil\": null}, \"ttl\": 600}";

        var warmed = await Http.ReadJsonAsync(await client.PostAsync($"v1/tenants/{tenant}/warm", Http.Json(body)));

        Assert.Equal(5, warmed.GetProperty("warmed").GetInt64());
        var expected = new Dictionary<string, string>
        {
            ["obj"] = "{\"a\": [1, 2.50, null]}",
            ["str"] = "\"h\\u00e9llo\"",
            ["num"] = "7",
            ["t"] = "true",
            ["nil"] = "null",
        };
        foreach (var (key, json) in expected)
        {
            var get = await client.GetAsync($"v1/tenants/{tenant}/keys/{key}");
            await Http.AssertStatusAsync(get, HttpStatusCode.OK);
            Assert.Equal("application/json", get.Content.Headers.ContentType?.MediaType);
            Assert.Equal(json, await get.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task TenantStatsReportHitsMissesSizeMemoryAndHitRate()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        await client.PutAsync($"v1/tenants/{tenant}/keys/a", Http.Bytes("1"u8.ToArray(), "text/plain"));
        await client.PutAsync($"v1/tenants/{tenant}/keys/b", Http.Bytes("2"u8.ToArray(), "text/plain"));
        await client.GetAsync($"v1/tenants/{tenant}/keys/a");
        await client.GetAsync($"v1/tenants/{tenant}/keys/a");
        await client.GetAsync($"v1/tenants/{tenant}/keys/a");
        await client.GetAsync($"v1/tenants/{tenant}/keys/nope");

        var stats = await Http.ReadJsonAsync(await client.GetAsync($"v1/tenants/{tenant}/stats"));

        Assert.Equal(3, stats.GetProperty("hits").GetInt64());
        Assert.Equal(1, stats.GetProperty("misses").GetInt64());
        Assert.Equal(2, stats.GetProperty("size").GetInt64());
        Assert.True(stats.GetProperty("memory_usage").GetInt64() > 0);
        Assert.Equal(0.75, stats.GetProperty("hit_rate").GetDouble(), 6);
    }

    [Fact]
    public async Task AdminStatsCoverEveryTenantAndAdminClearEmptiesEverything()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        await client.DeleteAsync("v1/keys");
        var first = NewTenant();
        var second = NewTenant();
        await client.PutAsync($"v1/tenants/{first}/keys/a", Http.Bytes("1"u8.ToArray(), "text/plain"));
        await client.PutAsync($"v1/tenants/{second}/keys/a", Http.Bytes("2"u8.ToArray(), "text/plain"));
        await client.GetAsync($"v1/tenants/{first}/keys/a");

        var stats = await Http.ReadJsonAsync(await client.GetAsync("v1/stats"));
        Assert.Equal(2, stats.GetProperty("size").GetInt64());
        Assert.Equal(1, stats.GetProperty("hits").GetInt64());
        Assert.Equal(2, stats.GetProperty("sets").GetInt64());

        // Server by server on Dragonfly (one server here), nothing on memory.
        var nodes = stats.GetProperty("nodes").EnumerateArray().ToList();
        if (stats.GetProperty("backend").GetString() == "Dragonfly")
        {
            var node = Assert.Single(nodes);
            Assert.Equal(2, node.GetProperty("size").GetInt64());
            Assert.Equal(stats.GetProperty("memory_usage").GetInt64(), node.GetProperty("memory_usage").GetInt64());
            Assert.StartsWith("127.0.0.1:", node.GetProperty("endpoint").GetString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(nodes);
        }

        var cleared = await Http.ReadJsonAsync(await client.DeleteAsync("v1/keys"));
        Assert.Equal(2, cleared.GetProperty("cleared").GetInt64());
        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{second}/keys/a"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PollingReadinessCountsNoHitOrMiss()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var before = await Http.ReadJsonAsync(await client.GetAsync("v1/stats"));
        for (var i = 0; i < 5; i++)
        {
            await Http.AssertStatusAsync(await client.GetAsync("readyz"), HttpStatusCode.OK);
        }

        var after = await Http.ReadJsonAsync(await client.GetAsync("v1/stats"));
        Assert.Equal(before.GetProperty("misses").GetInt64(), after.GetProperty("misses").GetInt64());
        Assert.Equal(before.GetProperty("hits").GetInt64(), after.GetProperty("hits").GetInt64());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    public async Task BadTtlIs400AndStoresNothing(string ttl)
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();

        var detail = await Http.AssertProblemAsync(await client.PutAsync($"v1/tenants/{tenant}/keys/k?ttl={ttl}", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.BadRequest);

        Assert.Contains("ttl", detail, StringComparison.Ordinal);
        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/k"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task KeyLongerThanTheLimitIs400NamingTheLimit()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var key = new string('k', 1025);

        var detail = await Http.AssertProblemAsync(await client.PutAsync($"v1/tenants/{NewTenant()}/keys/{key}", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.BadRequest);

        Assert.Contains("1024", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmptyKeyIs400()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();

        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{NewTenant()}/keys/"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task TenantLongerThanTheLimitIs400()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();

        var detail = await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{new string('t', 257)}/stats"), HttpStatusCode.BadRequest);

        Assert.Contains("256", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"pattern\": ")]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"pattern\": \"\"}")]
    [InlineData("{\"pattern\": 5}")]
    public async Task BadInvalidateBodyOrPatternIs400AndRemovesNothing(string body)
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain"));

        await Http.AssertProblemAsync(await client.PostAsync($"v1/tenants/{tenant}/invalidate", Http.Json(body)), HttpStatusCode.BadRequest);

        await Http.AssertStatusAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/k"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task PatternLongerThanTheKeyLimitIs400()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();

        var detail = await Http.AssertProblemAsync(
            await client.PostAsync($"v1/tenants/{NewTenant()}/invalidate", Http.Json($"{{\"pattern\": \"{new string('*', 1025)}\"}}")),
            HttpStatusCode.BadRequest);

        Assert.Contains("1024", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"entries\": {\"a\": 1, \"b\": ")]
    [InlineData("[]")]
    [InlineData("{\"ttl\": 5}")]
    [InlineData("{\"entries\": [1, 2]}")]
    [InlineData("{\"entries\": {\"a\": 1}, \"ttl\": 0}")]
    [InlineData("{\"entries\": {\"a\": 1}, \"ttl\": \"60\"}")]
    [InlineData("{\"entries\": {\"a\": 1}, \"extra\": true}")]
    [InlineData("{\"entries\": {\"a\": 1, \"\": 2}}")]
    [InlineData("{\"entries\": {\"a\": 1}} trailing")]
    public async Task BadWarmBodyIs400AndStoresNothing(string body)
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();

        await Http.AssertProblemAsync(await client.PostAsync($"v1/tenants/{tenant}/warm", Http.Json(body)), HttpStatusCode.BadRequest);

        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/a"), HttpStatusCode.NotFound);
        var stats = await Http.ReadJsonAsync(await client.GetAsync($"v1/tenants/{tenant}/stats"));
        Assert.Equal(0, stats.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task BodyOverTheValueLimitIs413AndLeavesTheOldValue()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("old"u8.ToArray(), "text/plain"));

        var detail = await Http.AssertProblemAsync(
            await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes(new byte[MaxValueBytes + 1], "application/octet-stream")),
            HttpStatusCode.RequestEntityTooLarge);

        Assert.Contains(MaxValueBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), detail, StringComparison.Ordinal);
        Assert.Equal("old", await client.GetStringAsync($"v1/tenants/{tenant}/keys/k"));
    }

    [Fact]
    public async Task BodyAtTheValueLimitIsStored()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        var body = new byte[MaxValueBytes];
        body.AsSpan().Fill(7);

        await Http.AssertStatusAsync(await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes(body, "application/octet-stream")), HttpStatusCode.NoContent);

        Assert.Equal(body, await client.GetByteArrayAsync($"v1/tenants/{tenant}/keys/k"));
    }

    [Fact]
    public async Task ChunkedBodyOverTheValueLimitIs413AndStoresNothing()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();

        // No Content-Length: the limit is enforced while the body is read.
        var content = new StreamContent(new UnknownLengthStream(new byte[MaxValueBytes * 3]));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Put, $"v1/tenants/{tenant}/keys/k") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        await Http.AssertProblemAsync(await client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);

        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/k"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ChunkedBodyUnderTheValueLimitIsStored()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        var body = Encoding.UTF8.GetBytes(new string('x', MaxValueBytes - 10));
        var content = new StreamContent(new UnknownLengthStream(body));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
        var request = new HttpRequestMessage(HttpMethod.Put, $"v1/tenants/{tenant}/keys/k") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        await Http.AssertStatusAsync(await client.SendAsync(request), HttpStatusCode.NoContent);

        Assert.Equal(body, await client.GetByteArrayAsync($"v1/tenants/{tenant}/keys/k"));
    }

    [Fact]
    public async Task WarmWithAValueOverTheLimitIs413AndStoresNothing()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();
        var tenant = NewTenant();
        var big = new string('x', MaxValueBytes);
        var body = $"{{\"entries\": {{\"small\": 1, \"big\": \"{big}\"}}}}";

        var detail = await Http.AssertProblemAsync(await client.PostAsync($"v1/tenants/{tenant}/warm", Http.Json(body)), HttpStatusCode.RequestEntityTooLarge);

        Assert.Contains("big", detail, StringComparison.Ordinal);
        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/small"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WarmWithMoreEntriesThanTheLimitIs413NamingTheLimitAndStoresNothing()
    {
        await using var host = await StartAsync(("Service:MaxWarmEntries", "3"));
        var client = host.CreateClient();
        var tenant = NewTenant();

        await Http.ReadJsonAsync(await client.PostAsync($"v1/tenants/{tenant}/warm", Http.Json("{\"entries\": {\"a\": 1, \"b\": 2, \"c\": 3}}")));
        var detail = await Http.AssertProblemAsync(
            await client.PostAsync($"v1/tenants/{tenant}/warm", Http.Json("{\"entries\": {\"d\": 1, \"e\": 2, \"f\": 3, \"g\": 4}}")),
            HttpStatusCode.RequestEntityTooLarge);

        Assert.Contains("3", detail, StringComparison.Ordinal);
        Assert.Contains("Service:MaxWarmEntries", detail, StringComparison.Ordinal);
        var stats = await Http.ReadJsonAsync(await client.GetAsync($"v1/tenants/{tenant}/stats"));
        Assert.Equal(3, stats.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task WarmOrInvalidateBodyOverTheRequestLimitIs413()
    {
        await using var host = await StartAsync(("Service:MaxRequestBytes", "100"));
        var client = host.CreateClient();
        var tenant = NewTenant();
        var body = $"{{\"entries\": {{\"a\": \"{new string('x', 200)}\"}}}}";

        await Http.AssertProblemAsync(await client.PostAsync($"v1/tenants/{tenant}/warm", Http.Json(body)), HttpStatusCode.RequestEntityTooLarge);
        await Http.AssertProblemAsync(await client.PostAsync($"v1/tenants/{tenant}/invalidate", Http.Json($"{{\"pattern\": \"{new string('x', 200)}\"}}")), HttpStatusCode.RequestEntityTooLarge);
        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{tenant}/keys/a"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UnknownRouteIs404ProblemAndWrongMethodIs405Problem()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();

        await Http.AssertProblemAsync(await client.GetAsync("v2/nothing"), HttpStatusCode.NotFound);
        await Http.AssertProblemAsync(await client.PostAsync($"v1/tenants/{NewTenant()}/stats", Http.Json("{}")), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task LivenessAndReadinessAre200WhileTheBackendAnswers()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();

        var live = await Http.ReadJsonAsync(await client.GetAsync("healthz"));
        var ready = await Http.ReadJsonAsync(await client.GetAsync("readyz"));

        Assert.Equal("Healthy", live.GetProperty("status").GetString());
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
    }

    [Fact]
    public async Task MetricsExposeRequestsAndPerTenantHitsMissesAndEntries()
    {
        // On Dragonfly entries are read in the background (at most every StatsRefreshInterval, 1 s here, or sooner for a
        // tenant not read yet), and any exporter in this test process may have collected before the requests below:
        // scrape until they show.
        await using var host = await StartAsync(("Service:Metrics:StatsRefreshInterval", "00:00:01"));
        var client = host.CreateClient();
        var tenant = NewTenant();
        await client.PutAsync($"v1/tenants/{tenant}/keys/a", Http.Bytes("1"u8.ToArray(), "text/plain"));
        await client.GetAsync($"v1/tenants/{tenant}/keys/a");
        await client.GetAsync($"v1/tenants/{tenant}/keys/a");
        await client.GetAsync($"v1/tenants/{tenant}/keys/b");
        var expected = $"motadata_cache_server_hits_total{{otel_scope_name=\"Motadata.Cache.Server\",tenant=\"{tenant}\"}} 2";
        var expectedEntries = $"motadata_cache_server_entries{{otel_scope_name=\"Motadata.Cache.Server\",tenant=\"{tenant}\"}} 1";

        HttpResponseMessage response;
        string metrics;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            response = await client.GetAsync("metrics");
            metrics = await response.Content.ReadAsStringAsync();
            if ((metrics.Contains(expected, StringComparison.Ordinal) && metrics.Contains(expectedEntries, StringComparison.Ordinal)) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("http_server_request_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains($"motadata_cache_server_hits_total{{otel_scope_name=\"Motadata.Cache.Server\",tenant=\"{tenant}\"}} 2", metrics, StringComparison.Ordinal);
        Assert.Contains($"motadata_cache_server_misses_total{{otel_scope_name=\"Motadata.Cache.Server\",tenant=\"{tenant}\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains($"motadata_cache_server_entries{{otel_scope_name=\"Motadata.Cache.Server\",tenant=\"{tenant}\"}} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApiDocumentListsEveryRoute()
    {
        await using var host = await StartAsync();
        var client = host.CreateClient();

        var document = await Http.ReadJsonAsync(await client.GetAsync("openapi/v1.json"));
        var paths = document.GetProperty("paths");

        var expected = new (string Path, string Method)[]
        {
            ("/v1/tenants/{tenant}/keys/{key}", "put"),
            ("/v1/tenants/{tenant}/keys/{key}", "get"),
            ("/v1/tenants/{tenant}/keys/{key}", "delete"),
            ("/v1/tenants/{tenant}/keys", "delete"),
            ("/v1/tenants/{tenant}/invalidate", "post"),
            ("/v1/tenants/{tenant}/warm", "post"),
            ("/v1/tenants/{tenant}/stats", "get"),
            ("/v1/stats", "get"),
            ("/v1/keys", "delete"),
            ("/v1/dashboard", "get"),
            ("/healthz", "get"),
            ("/readyz", "get"),
            ("/metrics", "get"),
            ("/openapi/v1.json", "get"),
        };
        foreach (var (path, method) in expected)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"The OpenAPI document has no path {path}.");
            Assert.True(item.TryGetProperty(method, out _), $"The OpenAPI document has no {method.ToUpperInvariant()} {path}.");
        }

        var documented = 0;
        foreach (var path in paths.EnumerateObject())
        {
            documented += path.Value.EnumerateObject().Count(operation => operation.Name is "get" or "put" or "post" or "delete");
        }

        Assert.Equal(expected.Length, documented);
        var getKeyParameters = paths.GetProperty("/v1/tenants/{tenant}/keys/{key}").GetProperty("get").GetProperty("parameters");
        Assert.Equal(["tenant", "key"], getKeyParameters.EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToArray());
    }

    /// <summary>A stream that does not tell its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
