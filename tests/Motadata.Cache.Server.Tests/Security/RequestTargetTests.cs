using System.Net;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Security;

/// <summary>
/// The request target as a hostile client writes it (<c>curl --path-as-is</c>, raw bytes over a socket): dot
/// segments, encoded dots, empty segments and backslashes never change which route runs, for which tenant, or which key.
/// </summary>
public sealed class RequestTargetTests : IAsyncLifetime
{
    private const string AcmeKey = "acme-key-0123456789abcdef";
    private const string GlobexKey = "globex-key-0123456789abcdef";
    private const string RootKey = "root-key-0123456789abcdef";
    private ServiceHost? _host;

    private ServiceHost Host => _host!;

    public async Task InitializeAsync()
    {
        _host = await ServiceHost.StartAsync(
        [
            new("Service:ApiKeys:0:Key", AcmeKey),
            new("Service:ApiKeys:0:Tenants:0", "acme"),
            new("Service:ApiKeys:1:Key", GlobexKey),
            new("Service:ApiKeys:1:Tenants:0", "globex"),
            new("Service:ApiKeys:2:Key", RootKey),
            new("Service:ApiKeys:2:Tenants:0", "*"),
            new("Service:ApiKeys:2:Admin", "true"),
        ]);
        await Http.AssertStatusAsync(await Host.CreateClient(AcmeKey).PutAsync("v1/tenants/acme/keys/x", Http.Bytes("acme's"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
        await Http.AssertStatusAsync(await Host.CreateClient(GlobexKey).PutAsync("v1/tenants/globex/keys/x", Http.Bytes("globex's"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task EncodedDotSegmentsInAKeyCannotTurnATenantRouteIntoTheAdminClearOfEveryTenant()
    {
        var response = await RawHttp.SendAsync(Host.BaseAddress, "DELETE", "/v1/tenants/acme/keys/%2E%2E/%2E%2E/%2E%2E/keys", RootKey);

        var detail = response.AssertProblem(400);
        Assert.Contains("'..'", detail, StringComparison.Ordinal);
        await AssertBothTenantsKeptTheirEntryAsync();
    }

    [Fact]
    public async Task EncodedDotSegmentAfterAKeyIsRefusedAndDoesNotClearTheTenant()
    {
        var response = await RawHttp.SendAsync(Host.BaseAddress, "DELETE", "/v1/tenants/acme/keys/x/%2E%2E", AcmeKey);

        response.AssertProblem(400);
        await AssertBothTenantsKeptTheirEntryAsync();
    }

    [Fact]
    public async Task EncodedDotSegmentsInAKeyCannotReachTheTenantStats()
    {
        var response = await RawHttp.SendAsync(Host.BaseAddress, "GET", "/v1/tenants/acme/keys/x/%2E%2E/%2E%2E/stats", AcmeKey);

        response.AssertProblem(400);
    }

    [Theory]
    [InlineData("DELETE", "/v1/tenants/acme/keys/x/%2e%2e")]
    [InlineData("DELETE", "/v1/tenants/acme/keys/x/.%2E")]
    [InlineData("DELETE", "/v1/tenants/acme/keys/x/..")]
    [InlineData("DELETE", "/v1/tenants/acme/keys/x/./..")]
    [InlineData("GET", "/v1/tenants/acme/keys/y/%2E/x")]
    [InlineData("GET", "/v1/tenants/acme/keys/y/./x")]
    [InlineData("GET", "/v1/tenants/%2E%2E/keys/x")]
    [InlineData("GET", "/v1/tenants/acme/keys/%2E")]
    [InlineData("DELETE", "/v1/tenants/acme/keys//x")]
    [InlineData("GET", "/v1//tenants/acme/keys/x")]
    [InlineData("GET", "/v1/tenants/acme/stats/")]
    [InlineData("DELETE", "/v1/tenants/acme/keys/")]
    [InlineData("GET", "/v1/tenants/acme/keys/x\\..\\..\\stats")]
    [InlineData("GET", "http://{authority}/v1/tenants/acme/keys/x/%2E%2E/%2E%2E/stats")]
    public async Task PathThatANormalizerWouldRewriteIs400ProblemAndChangesNothing(string method, string target)
    {
        var response = await RawHttp.SendAsync(Host.BaseAddress, method, target.Replace("{authority}", Host.BaseAddress.Authority, StringComparison.Ordinal), RootKey);

        response.AssertProblem(400);
        await AssertBothTenantsKeptTheirEntryAsync();
    }

    [Fact]
    public async Task RawHashWithDotSegmentsAfterItCannotTurnATenantRouteIntoTheAdminClearOfEveryTenant()
    {
        // Issue 21, N2: the path was read up to '#' while Kestrel routed the whole target, dot segments removed.
        var response = await RawHttp.SendAsync(Host.BaseAddress, "DELETE", "/v1/tenants/x#/../../../v1/keys/?/keys", RootKey);

        var detail = response.AssertProblem(400);
        Assert.Contains("'#'", detail, StringComparison.Ordinal);
        Assert.Contains("%23", detail, StringComparison.Ordinal);
        await AssertBothTenantsKeptTheirEntryAsync();
    }

    [Theory]
    [InlineData("DELETE", "/v1/tenants/acme/keys/x#b")]
    [InlineData("GET", "/v1/tenants/acme/keys/x#")]
    [InlineData("GET", "/v1/tenants/acme#/keys/x")]
    [InlineData("GET", "/v1/tenants/acme/keys/x?ttl=1#frag")]
    [InlineData("GET", "/healthz#")]
    public async Task AnyRawHashInTheTargetIs400ProblemAndChangesNothing(string method, string target)
    {
        var response = await RawHttp.SendAsync(Host.BaseAddress, method, target, RootKey);

        response.AssertProblem(400);
        await AssertBothTenantsKeptTheirEntryAsync();
    }

    [Fact]
    public async Task PercentEncodedHashIsAnOrdinaryCharacterOfTheKey()
    {
        var client = Host.CreateClient(AcmeKey);
        await Http.AssertStatusAsync(await client.PutAsync("v1/tenants/acme/keys/a%23b", Http.Bytes("hashed"u8.ToArray(), "text/plain")), HttpStatusCode.NoContent);

        Assert.Equal("hashed", (await RawHttp.SendAsync(Host.BaseAddress, "GET", "/v1/tenants/acme/keys/a%23b", AcmeKey)).Body);
        Assert.Equal(404, (await RawHttp.SendAsync(Host.BaseAddress, "GET", "/v1/tenants/acme/keys/a", AcmeKey)).Status);
    }

    [Fact]
    public async Task DotsAndSlashesInsideAKeyAreOpaqueTextWhenTheSlashIsPercentEncoded()
    {
        var client = Host.CreateClient(AcmeKey);
        await Http.AssertStatusAsync(await client.PostAsync("v1/tenants/acme/warm", Http.Json("{\"entries\": {\"x/..\": 1, \"./a//b\": 2}}")), HttpStatusCode.OK);

        Assert.Equal("1", (await RawHttp.SendAsync(Host.BaseAddress, "GET", "/v1/tenants/acme/keys/x%2F..", AcmeKey)).Body);
        Assert.Equal("2", (await RawHttp.SendAsync(Host.BaseAddress, "GET", "/v1/tenants/acme/keys/.%2Fa%2F%2Fb", AcmeKey)).Body);
        var deleted = await RawHttp.SendAsync(Host.BaseAddress, "DELETE", "/v1/tenants/acme/keys/x%2F%2E%2E", AcmeKey);
        Assert.Equal(204, deleted.Status);
        await AssertBothTenantsKeptTheirEntryAsync();
    }

    [Fact]
    public async Task PercentEncodedLettersInARouteNameReachTheSameRouteAsPlainOnes()
    {
        // RFC 3986: %73 is 's'. The router decodes it; the tenant and route read from the raw target must agree.
        var response = await RawHttp.SendAsync(Host.BaseAddress, "GET", "/v1/tenants/acme/%73tats", AcmeKey);
        var keyResponse = await RawHttp.SendAsync(Host.BaseAddress, "GET", "/v1/tenants/acme/%6Beys/x", AcmeKey);

        Assert.True(response.Status == 200, response.Text);
        Assert.Equal("acme's", keyResponse.Body);
    }

    [Fact]
    public async Task TargetOverTheLimitIs414ProblemNamingTheLimit()
    {
        var response = await RawHttp.SendAsync(Host.BaseAddress, "GET", "/v1/tenants/acme/keys/" + new string('k', 9000), AcmeKey);

        var detail = response.AssertProblem(414);
        Assert.Contains("8192", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeadersOverTheLimitAre431ProblemNamingTheLimit()
    {
        var response = await RawHttp.SendAsync(Host.BaseAddress, "GET", "/healthz", headers: "X-Padding: " + new string('p', 40_000));

        var detail = response.AssertProblem(431);
        Assert.Contains("32768", detail, StringComparison.Ordinal);
    }

    private async Task AssertBothTenantsKeptTheirEntryAsync()
    {
        Assert.Equal("acme's", await Host.CreateClient(AcmeKey).GetStringAsync("v1/tenants/acme/keys/x"));
        Assert.Equal("globex's", await Host.CreateClient(GlobexKey).GetStringAsync("v1/tenants/globex/keys/x"));
    }
}
