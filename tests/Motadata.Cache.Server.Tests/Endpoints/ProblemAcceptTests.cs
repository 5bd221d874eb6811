using System.Net;
using System.Net.Http.Headers;
using Motadata.Cache.Server.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Endpoints;

/// <summary>
/// Problems are written as <c>application/problem+json</c> whatever the request's <c>Accept</c> says (issue 21):
/// generated clients send <c>Accept: text/plain</c>, and a problem once became an empty 500 for them.
/// </summary>
public sealed class ProblemAcceptTests : IAsyncLifetime
{
    private const string AcmeKey = "acme-key-0123456789abcdef";
    private ServiceHost? _host;

    private ServiceHost Host => _host!;

    public async Task InitializeAsync() => _host = await ServiceHost.StartAsync(
    [
        new("Service:ApiKeys:0:Key", AcmeKey),
        new("Service:ApiKeys:0:Tenants:0", "acme"),
        new("Service:ApiKeys:1:Key", "metrics-key-0123456789abcdef"),
        new("Service:ApiKeys:1:Metrics", "true"),
        new("Service:Metrics:RequireApiKey", "true"),
    ]);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("text/plain", "GET", "v1/tenants/acme/keys/missing", true, HttpStatusCode.NotFound)]
    [InlineData("application/octet-stream", "GET", "v1/tenants/acme/keys/missing", true, HttpStatusCode.NotFound)]
    [InlineData("text/plain", "GET", "v1/tenants/acme/keys/k", false, HttpStatusCode.Unauthorized)]
    [InlineData("text/plain", "GET", "v1/tenants/globex/keys/k", true, HttpStatusCode.Forbidden)]
    [InlineData("text/plain", "GET", "metrics", true, HttpStatusCode.Forbidden)]
    [InlineData("application/octet-stream", "PUT", "v1/tenants/acme/keys/k?ttl=0", true, HttpStatusCode.BadRequest)]
    [InlineData("text/plain", "GET", "v1/nothing-here", true, HttpStatusCode.NotFound)]
    public async Task ProblemIsProblemJsonWhateverAcceptSays(string accept, string method, string path, bool withKey, HttpStatusCode status)
    {
        var client = Host.CreateClient(withKey ? AcmeKey : null);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        if (method == "PUT")
        {
            request.Content = Http.Bytes("v"u8.ToArray(), "text/plain");
        }

        var response = await client.SendAsync(request);

        await Http.AssertProblemAsync(response, status);
    }

    [Theory]
    [InlineData("GET", "v1/tenants/acme/keys/missing")]
    [InlineData("PUT", "v1/tenants/acme/keys/k?ttl=0")]
    [InlineData("GET", "v1/tenants/globex/keys/k")]
    public async Task ProblemForTextPlainHasTheSameFieldsAsForJson(string method, string path)
    {
        var text = await ProblemWithoutTraceAsync(method, path, "text/plain");
        var json = await ProblemWithoutTraceAsync(method, path, "application/json");

        Assert.Equal(json, text);
    }

    private async Task<string> ProblemWithoutTraceAsync(string method, string path, string accept)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        if (method == "PUT")
        {
            request.Content = Http.Bytes("v"u8.ToArray(), "text/plain");
        }

        var response = await Host.CreateClient(AcmeKey).SendAsync(request);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.True(body.Remove("trace_id"), body.ToJsonString());
        return body.ToJsonString();
    }
}
