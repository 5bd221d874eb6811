using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.Contract;

/// <summary>
/// The guard of the recovery-on contract run works: a backend failure during a test (which recovery turns into a
/// plain miss) fails the test when it is disposed, and a test without failures passes.
/// </summary>
public sealed class HiddenFailureGuardTests : IAsyncLifetime
{
    private readonly RedisServerFixture _fixture = new();

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task WhenACallFailsDuringAContractTestWithRecoveryOnDisposingTheTestFailsIt()
    {
        var test = new GuardedContract(_fixture, enableRecovery: true);
        var cache = test.Create();
        Assert.True(cache.Set("k", "v"));

        await _fixture.Server.KillAsync();

        // With recovery on, the failure reads as a miss: exactly what the guard exists to catch.
        Assert.Null(cache.Get<string>("k"));
        var failure = await Assert.ThrowsAnyAsync<Exception>(test.DisposeAsync);
        Assert.Contains("backend call(s) failed", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenNoCallFailsTheGuardIsSilent()
    {
        var test = new GuardedContract(_fixture, enableRecovery: true);
        var cache = test.Create();
        Assert.True(cache.Set("k", "v"));
        Assert.Equal("v", cache.Get<string>("k"));

        await test.DisposeAsync();
    }

    [Fact]
    public async Task WithRecoveryOffAFailureIsAnExceptionAndTheGuardStaysOutOfTheWay()
    {
        var test = new GuardedContract(_fixture, enableRecovery: false);
        var cache = test.Create();

        await _fixture.Server.KillAsync();

        Assert.Throws<CacheBackendException>(() => cache.Get<string>("k"));
        await test.DisposeAsync();
    }

    // Private, so xunit does not run the whole contract through it.
    private sealed class GuardedContract(RedisServerFixture fixture, bool enableRecovery) : DragonflyCacheContractTestsBase(fixture, enableRecovery)
    {
        public CacheMechanism Create() => CreateCache(c => c.OperationTimeout = TimeSpan.FromSeconds(5));
    }
}
