using Motadata.Cache.Server.Tests.Infrastructure;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Dashboard;

/// <summary>The operator page on the Dragonfly backend, against a real <c>redis-server</c>.</summary>
public sealed class DragonflyDashboardBrowserTests(BrowserFixture browsers) : DashboardBrowserTests(browsers), IAsyncLifetime
{
    private RedisServer? _redis;

    protected override IEnumerable<KeyValuePair<string, string?>> BackendSettings =>
    [
        new("Cache:Backend", "Dragonfly"),
        new("Cache:DragonflyUrl", (_redis ?? throw new InvalidOperationException("The server is not started.")).Url),
        new("Cache:OperationTimeout", "00:00:05"),

        // The tenants' figures on Dragonfly are /metrics' snapshot, re-read in the background once this old: the
        // shortest allowed, so the page follows new traffic within a few refreshes.
        new("Service:Metrics:StatsRefreshInterval", "00:00:01"),
    ];

    protected override string BackendName => "Dragonfly";

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}
