using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>One real <c>redis-server</c> shared by a test class; each test isolates itself with its own key prefix.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;

    public RedisServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>Points <paramref name="config"/> at the server under a key prefix no other test uses.</summary>
    public void Configure(CacheConfig config)
    {
        config.Backend = CacheBackend.Dragonfly;
        config.DragonflyUrl = Server.Url;
        config.KeyPrefix = $"it{Guid.NewGuid():N}:";
        config.EnableRecovery = false;
    }
}
