using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Security;

/// <summary>API keys over real HTTP: 401 without a known key, 403 outside a key's tenants or admin rights, and no tenant reaching another's data.</summary>
public sealed class ApiKeyTests : IAsyncLifetime
{
    private const string KeyA = "tenant-a-key-0123456789";
    private const string KeyB = "hashed-b-key-0123456789";
    private const string KeyAll = "all-tenants-key-0123456789";
    private const string KeyAdmin = "admin-key-0123456789abcdef";
    private ServiceHost? _host;

    private ServiceHost Host => _host!;

    public static TheoryData<string, string> TenantRoutes => new()
    {
        { "PUT", "v1/tenants/{0}/keys/k" },
        { "GET", "v1/tenants/{0}/keys/k" },
        { "DELETE", "v1/tenants/{0}/keys/k" },
        { "DELETE", "v1/tenants/{0}/keys" },
        { "POST", "v1/tenants/{0}/invalidate" },
        { "POST", "v1/tenants/{0}/warm" },
        { "GET", "v1/tenants/{0}/stats" },
    };

    public static TheoryData<string, string> AdminRoutes => new()
    {
        { "GET", "v1/stats" },
        { "DELETE", "v1/keys" },
    };

    public async Task InitializeAsync()
    {
        var hashOfB = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(KeyB)));
        _host = await ServiceHost.StartAsync(
        [
            new("Service:ApiKeys:0:Key", KeyA),
            new("Service:ApiKeys:0:Tenants:0", "a"),
            new("Service:ApiKeys:1:KeySha256", hashOfB.ToLowerInvariant()),
            new("Service:ApiKeys:1:Tenants:0", "b"),
            new("Service:ApiKeys:2:Key", KeyAll),
            new("Service:ApiKeys:2:Tenants:0", "*"),
            new("Service:ApiKeys:3:Key", KeyAdmin),
            new("Service:ApiKeys:3:Admin", "true"),
        ]);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(TenantRoutes))]
    [MemberData(nameof(AdminRoutes))]
    public async Task RouteWithoutAKeyIs401WithABearerChallenge(string method, string route)
    {
        var response = await Host.CreateClient().SendAsync(Request(method, route, "a"));

        await Http.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Theory]
    [MemberData(nameof(TenantRoutes))]
    [MemberData(nameof(AdminRoutes))]
    public async Task RouteWithAnUnknownKeyIs401(string method, string route)
    {
        var response = await Host.CreateClient("not-a-key-this-service-knows").SendAsync(Request(method, route, "a"));

        var detail = await Http.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("not one this service knows", detail, StringComparison.Ordinal);
        Assert.Contains("invalid_token", Assert.Single(response.Headers.WwwAuthenticate).Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherSchemeThanBearerIs401()
    {
        var client = Host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("a:" + KeyA)));

        await Http.AssertProblemAsync(await client.GetAsync("v1/tenants/a/stats"), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(TenantRoutes))]
    public async Task KeyOfAnotherTenantIs403(string method, string route)
    {
        var response = await Host.CreateClient(KeyA).SendAsync(Request(method, route, "b"));

        var detail = await Http.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("'b'", detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task NonAdminKeyIs403OnAdminRoutes(string method, string route)
    {
        var response = await Host.CreateClient(KeyAll).SendAsync(Request(method, route, "a"));

        await Http.AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AdminKeyWithoutTenantsIs403OnTenantRoutesAnd200OnAdminRoutes()
    {
        var admin = Host.CreateClient(KeyAdmin);

        await Http.AssertProblemAsync(await admin.GetAsync("v1/tenants/a/stats"), HttpStatusCode.Forbidden);
        await Http.ReadJsonAsync(await admin.GetAsync("v1/stats"));
    }

    [Fact]
    public async Task KeyConfiguredByItsHashIsAccepted()
    {
        var client = Host.CreateClient(KeyB);

        await Http.AssertStatusAsync(await client.PutAsync("v1/tenants/b/keys/hashed", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
        Assert.Equal("v", await client.GetStringAsync("v1/tenants/b/keys/hashed"));
    }

    [Fact]
    public async Task WildcardKeyMayUseAnyTenant()
    {
        var client = Host.CreateClient(KeyAll);

        await Http.AssertStatusAsync(await client.PutAsync("v1/tenants/anyone/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/somebody-else/stats"));
    }

    [Fact]
    public async Task DifferentKeysOnOneConnectionAreEachCheckedForWhatTheyAre()
    {
        // One client, so one keep-alive connection: a key verified earlier on it must not vouch for the next one.
        var client = Host.CreateClient();
        foreach (var (key, status) in new[]
        {
            (KeyA, HttpStatusCode.OK),
            (KeyB, HttpStatusCode.Forbidden),
            (KeyA, HttpStatusCode.OK),
            ("not-a-key-this-service-knows", HttpStatusCode.Unauthorized),
            (KeyA, HttpStatusCode.OK),
            (KeyAdmin, HttpStatusCode.Forbidden),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/tenants/a/stats");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            await Http.AssertStatusAsync(await client.SendAsync(request), status);
        }
    }

    [Fact]
    public async Task SchemeIsCaseInsensitive()
    {
        var client = Host.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "bearer " + KeyA);

        await Http.ReadJsonAsync(await client.GetAsync("v1/tenants/a/stats"));
    }

    [Fact]
    public async Task ProbesMetricsAndOpenApiNeedNoKey()
    {
        var client = Host.CreateClient();

        foreach (var path in new[] { "healthz", "readyz", "metrics", "openapi/v1.json" })
        {
            await Http.AssertStatusAsync(await client.GetAsync(path), HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task OpenApiDocumentRequiresTheBearerSchemeOnTenantAndAdminRoutesOnly()
    {
        var document = await Http.ReadJsonAsync(await Host.CreateClient().GetAsync("openapi/v1.json"));

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        var paths = document.GetProperty("paths");
        foreach (var (path, method) in new[] { ("/v1/tenants/{tenant}/keys/{key}", "get"), ("/v1/tenants/{tenant}/warm", "post"), ("/v1/stats", "get") })
        {
            var security = paths.GetProperty(path).GetProperty(method).GetProperty("security");
            Assert.True(Assert.Single(security.EnumerateArray()).TryGetProperty("ApiKey", out _), $"{method} {path} does not require the API key.");
        }

        // Public routes say so (security: []), so a generated client sends no key there.
        Assert.Empty(paths.GetProperty("/healthz").GetProperty("get").GetProperty("security").EnumerateArray());
    }

    [Fact]
    public async Task NoTenantCanReadClearInvalidateOverwriteOrSeeTheStatsOfAnother()
    {
        var a = Host.CreateClient(KeyA);
        var b = Host.CreateClient(KeyB);
        await Http.AssertStatusAsync(await a.PutAsync("v1/tenants/a/keys/shared-name", Http.Bytes("a's"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
        await Http.AssertStatusAsync(await b.PutAsync("v1/tenants/b/keys/shared-name", Http.Bytes("b's"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);

        // The same key name in two tenants is two entries.
        Assert.Equal("a's", await a.GetStringAsync("v1/tenants/a/keys/shared-name"));
        Assert.Equal("b's", await b.GetStringAsync("v1/tenants/b/keys/shared-name"));

        // Every way tenant a's key could touch tenant b is refused, including an encoded tenant name.
        await Http.AssertProblemAsync(await a.GetAsync("v1/tenants/b/keys/shared-name"), HttpStatusCode.Forbidden);
        await Http.AssertProblemAsync(await a.GetAsync("v1/tenants/%62/keys/shared-name"), HttpStatusCode.Forbidden);
        await Http.AssertProblemAsync(await a.PutAsync("v1/tenants/b/keys/shared-name", Http.Bytes("overwritten"u8.ToArray(), "text/plain")), HttpStatusCode.Forbidden);
        await Http.AssertProblemAsync(await a.DeleteAsync("v1/tenants/b/keys/shared-name"), HttpStatusCode.Forbidden);
        await Http.AssertProblemAsync(await a.DeleteAsync("v1/tenants/b/keys"), HttpStatusCode.Forbidden);
        await Http.AssertProblemAsync(await a.PostAsync("v1/tenants/b/invalidate", Http.Json("{\"pattern\": \"*\"}")), HttpStatusCode.Forbidden);
        await Http.AssertProblemAsync(await a.PostAsync("v1/tenants/b/warm", Http.Json("{\"entries\": {\"shared-name\": 1}}")), HttpStatusCode.Forbidden);
        await Http.AssertProblemAsync(await a.GetAsync("v1/tenants/b/stats"), HttpStatusCode.Forbidden);

        // Clearing and invalidating a's own namespace leaves b's entry alone.
        await Http.ReadJsonAsync(await a.PostAsync("v1/tenants/a/invalidate", Http.Json("{\"pattern\": \"*\"}")));
        await Http.ReadJsonAsync(await a.DeleteAsync("v1/tenants/a/keys"));
        Assert.Equal("b's", await b.GetStringAsync("v1/tenants/b/keys/shared-name"));
        var stats = await Http.ReadJsonAsync(await b.GetAsync("v1/tenants/b/stats"));
        Assert.Equal(1, stats.GetProperty("size").GetInt64());
    }

    private static HttpRequestMessage Request(string method, string route, string tenant)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, route, tenant));
        if (method is "PUT" or "POST")
        {
            request.Content = route.EndsWith("invalidate", StringComparison.Ordinal)
                ? Http.Json("{\"pattern\": \"*\"}")
                : route.EndsWith("warm", StringComparison.Ordinal) ? Http.Json("{\"entries\": {\"k\": 1}}") : Http.Bytes("v"u8.ToArray(), "text/plain");
        }

        return request;
    }
}
