using System.Net;
using System.Text.Json;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Hosting;

/// <summary>
/// The OpenAPI document says what generated clients need (issue 25): values as <c>*/*</c> binary, <c>ttl</c> as a
/// declared query parameter, every answer and header the service gives, integers as integers, an open
/// <c>WarmRequest.entries</c>, <c>trace_id</c> on problems, public routes marked public. Each point is then checked
/// against the running service, so the document describes what it does.
/// </summary>
public sealed class OpenApiClientContractTests
{
    private const string AdminKey = "admin-key-0123456789abcdef";

    private static Task<ServiceHost> StartAsync() => ServiceHost.StartAsync(
    [
        new("Service:ApiKeys:0:Key", AdminKey),
        new("Service:ApiKeys:0:Admin", "true"),
        new("Service:ApiKeys:0:Tenants:0", "*"),
        new("Service:Metrics:RequireApiKey", "true"),
    ]);

    [Fact]
    public async Task ValuesAreAnyBytesAndTtlIsAnOptionalIntegerQueryParameter()
    {
        await using var host = await StartAsync();
        var paths = (await DocumentAsync(host)).GetProperty("paths");
        var put = paths.GetProperty("/v1/tenants/{tenant}/keys/{key}").GetProperty("put");
        var body = Assert.Single(put.GetProperty("requestBody").GetProperty("content").EnumerateObject());
        Assert.Equal("*/*", body.Name);
        Assert.Equal("binary", body.Value.GetProperty("schema").GetProperty("format").GetString());
        var ttl = Assert.Single(put.GetProperty("parameters").EnumerateArray(), static p => p.GetProperty("name").GetString() == "ttl");
        Assert.Equal("query", ttl.GetProperty("in").GetString());
        Assert.False(ttl.TryGetProperty("required", out var required) && required.GetBoolean());
        Assert.Equal("integer", ttl.GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal(1, ttl.GetProperty("schema").GetProperty("minimum").GetInt64());

        var ok = paths.GetProperty("/v1/tenants/{tenant}/keys/{key}").GetProperty("get").GetProperty("responses").GetProperty("200");
        var served = Assert.Single(ok.GetProperty("content").EnumerateObject());
        Assert.Equal("*/*", served.Name);
        Assert.Equal("binary", served.Value.GetProperty("schema").GetProperty("format").GetString());

        // As described: any bytes with their content type, and ttl as a query parameter.
        var client = host.CreateClient(AdminKey);
        await Http.AssertStatusAsync(await client.PutAsync("v1/tenants/t/keys/k?ttl=60", Http.Bytes([0, 255], "image/png")), HttpStatusCode.NoContent);
        var read = await client.GetAsync("v1/tenants/t/keys/k");
        Assert.Equal("image/png", read.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new byte[] { 0, 255 }, await read.Content.ReadAsByteArrayAsync());
        await Http.AssertProblemAsync(await client.PutAsync("v1/tenants/t/keys/k?ttl=0", Http.Bytes([1], "image/png")), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task EveryAnswerAndHeaderIsDescribedAndPublicRoutesArePublic()
    {
        await using var host = await StartAsync();
        var document = await DocumentAsync(host);
        var paths = document.GetProperty("paths");
        foreach (var path in paths.EnumerateObject().Where(static p => p.Name.StartsWith("/v1/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                Assert.True(operation.Value.GetProperty("responses").TryGetProperty("503", out _), $"{operation.Name} {path.Name} has no 503.");
                var unauthorized = operation.Value.GetProperty("responses").GetProperty("401");
                Assert.True(unauthorized.GetProperty("headers").TryGetProperty("WWW-Authenticate", out _), $"{operation.Name} {path.Name}: 401 without WWW-Authenticate.");
            }
        }

        var tooMany = paths.GetProperty("/v1/tenants/{tenant}/warm").GetProperty("post").GetProperty("responses").GetProperty("429");
        Assert.True(tooMany.GetProperty("headers").TryGetProperty("Retry-After", out _));
        var delete = paths.GetProperty("/v1/tenants/{tenant}/keys/{key}").GetProperty("delete").GetProperty("responses");
        Assert.True(delete.TryGetProperty("202", out _));

        var metrics = paths.GetProperty("/metrics").GetProperty("get");
        Assert.True(metrics.GetProperty("responses").TryGetProperty("401", out _));
        Assert.True(metrics.GetProperty("responses").TryGetProperty("403", out _));
        Assert.Single(metrics.GetProperty("security").EnumerateArray());
        foreach (var open in new[] { "/healthz", "/readyz", "/openapi/v1.json" })
        {
            Assert.Empty(paths.GetProperty(open).GetProperty("get").GetProperty("security").EnumerateArray());
        }

        Assert.False(document.GetProperty("servers")[0].GetProperty("url").GetString()!.EndsWith('/'));
        foreach (var parameter in paths.GetProperty("/v1/tenants/{tenant}/keys/{key}").GetProperty("get").GetProperty("parameters").EnumerateArray())
        {
            Assert.DoesNotContain("percent-encoded", parameter.GetProperty("description").GetString(), StringComparison.Ordinal);
        }

        // As described: 401 carries WWW-Authenticate, and problems carry trace_id.
        var refused = await host.CreateClient().GetAsync("v1/tenants/t/keys/k");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.NotEmpty(refused.Headers.WwwAuthenticate);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.TryGetProperty("trace_id", out _));
        Assert.True(document.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails").GetProperty("properties").TryGetProperty("trace_id", out _));
    }

    [Fact]
    public async Task NumbersAreIntegersAndWarmEntriesHoldAnyJsonWithAnOptionalTtl()
    {
        await using var host = await StartAsync();
        var schemas = (await DocumentAsync(host)).GetProperty("components").GetProperty("schemas");
        var text = schemas.GetRawText();
        Assert.DoesNotContain("\"string\",\"integer\"", text.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("\"integer\",\"string\"", text.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal("integer", schemas.GetProperty("CacheStatsResponse").GetProperty("properties").GetProperty("hits").GetProperty("type").GetString());

        var warm = schemas.GetProperty("WarmRequest");
        Assert.DoesNotContain("ttl", warm.GetProperty("required").EnumerateArray().Select(static r => r.GetString()));
        var entries = warm.GetProperty("properties").GetProperty("entries");
        Assert.Equal(JsonValueKind.Object, entries.GetProperty("additionalProperties").ValueKind);
        Assert.Empty(entries.GetProperty("additionalProperties").EnumerateObject());

        // As described: any JSON value, no ttl; and a number sent as a string is refused.
        var client = host.CreateClient(AdminKey);
        var warmed = await Http.ReadJsonAsync(await client.PostAsync("v1/tenants/t/warm", Http.Json("{\"entries\":{\"a\":[1,{\"b\":null}],\"c\":true}}")));
        Assert.Equal(2, warmed.GetProperty("warmed").GetInt64());
        await Http.AssertProblemAsync(await client.PostAsync("v1/tenants/t/warm", Http.Json("{\"entries\":{\"a\":1},\"ttl\":\"60\"}")), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task DocumentMeetsTheRecommendedLintRulesItOnceFailed()
    {
        // @redocly/cli lint (recommended rules) warned of these: a license, tag descriptions, a 4XX on every operation.
        await using var host = await StartAsync();
        var document = await DocumentAsync(host);
        Assert.Equal("MIT", document.GetProperty("info").GetProperty("license").GetProperty("name").GetString());
        var tags = document.GetProperty("tags").EnumerateArray().ToList();
        Assert.NotEmpty(tags);
        Assert.All(tags, static tag => Assert.False(string.IsNullOrEmpty(tag.GetProperty("description").GetString())));
        var declared = tags.Select(static tag => tag.GetProperty("name").GetString()).ToHashSet();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var statuses = operation.Value.GetProperty("responses").EnumerateObject().Select(static r => r.Name).ToList();
                Assert.True(statuses.Any(static s => s.StartsWith('4')), $"{operation.Name} {path.Name} has no 4XX response.");
                foreach (var tag in operation.Value.GetProperty("tags").EnumerateArray())
                {
                    Assert.Contains(tag.GetString(), declared);
                }
            }
        }

        // As described: a public route refuses an unreadable target with 400.
        using var raw = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(HttpStatusCode.BadRequest, (await raw.GetAsync("healthz/")).StatusCode);
    }

    [Fact]
    public async Task WithoutKeysEveryOperationSaysItNeedsNoCredentials()
    {
        // @redocly/cli's security-defined rule failed 14 operations of the keyless (loopback default) document: with
        // no scheme at all, nothing said whether a route needs credentials. Every route is public then: security: [].
        await using var host = await ServiceHost.StartAsync([]);
        var document = await DocumentAsync(host);
        Assert.False(document.TryGetProperty("security", out _));
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                Assert.True(operation.Value.TryGetProperty("security", out var security), $"{operation.Name} {path.Name} declares no security.");
                Assert.Empty(security.EnumerateArray());
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await host.CreateClient().GetAsync("v1/stats")).StatusCode);
    }

    private static async Task<JsonElement> DocumentAsync(ServiceHost host) =>
        await Http.ReadJsonAsync(await host.CreateClient().GetAsync("openapi/v1.json"));
}
