using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Motadata.Cache.Server.Hosting;

namespace Motadata.Cache.Server.Tests.Infrastructure;

/// <summary>
/// The real service, built by <see cref="CacheServer.Build"/> exactly as <c>Program</c> builds it, listening on a
/// free loopback port; tests talk to it over real HTTP.
/// </summary>
public sealed class ServiceHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<HttpClient> _clients = [];

    private ServiceHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the service with <paramref name="settings"/> (configuration keys such as <c>Cache:Backend</c>).</summary>
    public static async Task<ServiceHost> StartAsync(IEnumerable<KeyValuePair<string, string?>> settings, Action<CacheConfig>? configureCache = null)
    {
        var args = new List<string> { "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Motadata.Cache.Server=Error" };
        foreach (var (key, value) in settings)
        {
            args.Add($"--{key}={value}");
        }

        var app = CacheServer.Build([.. args], configureCache);
        var addresses = await CacheServer.StartAsync(app);
        return new ServiceHost(app, new Uri(addresses[0].TrimEnd('/') + "/"));
    }

    /// <summary>A client for the service, sending <paramref name="apiKey"/> as a bearer key when given.</summary>
    public HttpClient CreateClient(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
