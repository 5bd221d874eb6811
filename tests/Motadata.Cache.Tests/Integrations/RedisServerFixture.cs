using Motadata.Cache.Tests.Infrastructure;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>One real <c>redis-server</c> shared by a test class; each test isolates itself with its own key prefix.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;
    private ConnectionMultiplexer? _connection;

    public RedisServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>A plain client of the server, outside any cache, for <see cref="ServerClock"/> and inspection.</summary>
    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync()
    {
        _server = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_server.EndPoint);
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

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

        // Generous, because the machine is shared: no test here injects a fault, so nothing should ever time out.
        config.OperationTimeout = TimeSpan.FromSeconds(5);
    }
}
