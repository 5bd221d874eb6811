using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Fuzz;

/// <summary>The fuzz runs against the service on the Dragonfly backend, a real <c>redis-server</c>.</summary>
public sealed class DragonflyServiceFuzzTests : ServiceFuzzTests
{
    private RedisServer? _redis;

    protected override IEnumerable<KeyValuePair<string, string?>> BackendSettings =>
    [
        new("Cache:Backend", "Dragonfly"),
        new("Cache:DragonflyUrl", (_redis ?? throw new InvalidOperationException("The server is not started.")).Url),
    ];

    public override async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}
