using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.Contract;

/// <summary>
/// The contract on the Dragonfly backend, against a real <c>redis-server</c> (same protocol, and the store only
/// uses commands Dragonfly supports). Time is real: expiry tests wait.
/// </summary>
public sealed class DragonflyCacheContractTests : CacheContractTests, IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan s_expiryMargin = TimeSpan.FromMilliseconds(50);

    private readonly RedisServerFixture _fixture;

    // xunit builds one instance per test, so each test gets its own prefix, shared by every cache it creates.
    private readonly string _keyPrefix = RedisServerFixture.UniquePrefix("contract");

    public DragonflyCacheContractTests(RedisServerFixture fixture) => _fixture = fixture;

    protected override void ConfigureBackend(CacheConfig config)
    {
        config.Backend = CacheBackend.Dragonfly;
        config.DragonflyUrl = _fixture.Server.Url;
        config.KeyPrefix = _keyPrefix;
    }

    protected override Task AdvanceTimeAsync(TimeSpan by) => Task.Delay(by + s_expiryMargin);
}
