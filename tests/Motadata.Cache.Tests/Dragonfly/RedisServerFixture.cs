using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>One real <c>redis-server</c> per test class (xunit class fixture); tests keep apart by key prefix.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A key prefix no other test uses, so tests sharing this server never see each other's keys.</summary>
    public static string UniquePrefix(string name) => $"{name}-{Guid.NewGuid():N}:";
}
