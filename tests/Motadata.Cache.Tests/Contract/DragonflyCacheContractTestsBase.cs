using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Contract;

/// <summary>
/// The contract on the Dragonfly backend, against a real <c>redis-server</c> (same protocol, and the store only
/// uses commands Dragonfly supports), with recovery on or off. Time moves on the server: <see cref="AdvanceTimeAsync"/>
/// shortens the TTL of every key the test wrote by the given span (and deletes a key whose TTL that uses up, as the
/// server would on expiry), so what is checked is the TTL the store sent, and no test waits on the real clock.
/// The servers are an <see cref="IDragonflyTestTarget"/>: one server, a cluster, or independent sharded nodes; the
/// derived class names its xunit class fixture.
/// </summary>
public abstract class DragonflyCacheContractTestsBase : CacheContractTests
{
    private readonly IDragonflyTestTarget _target;
    private readonly bool _enableRecovery;

    // xunit builds one instance per test, so each test gets its own prefix, shared by every cache it creates.
    private readonly string _keyPrefix = $"contract-{Guid.NewGuid():N}:";

    protected DragonflyCacheContractTestsBase(IDragonflyTestTarget target, bool enableRecovery)
    {
        _target = target;
        _enableRecovery = enableRecovery;
    }

    protected override void ConfigureBackend(CacheConfig config)
    {
        _target.Configure(config);
        config.KeyPrefix = _keyPrefix;
        config.EnableRecovery = _enableRecovery;

        // Generous, because the test machine is shared; with recovery on, AssertNoHiddenFailure catches a timeout anyway.
        config.OperationTimeout = TimeSpan.FromSeconds(5);
    }

    protected override Task AdvanceTimeAsync(TimeSpan by) =>
        _target.AdvanceTimeAsync(_keyPrefix, by);

    /// <summary>With recovery on a failed call reads as a miss: none may have happened during a contract test.</summary>
    protected override void AssertNoHiddenFailure(CacheMechanism cache)
    {
        if (_enableRecovery)
        {
            Assert.True(
                cache.BackendFailures == 0,
                $"{cache.BackendFailures} backend call(s) failed during the test; with recovery on they read as misses, so the test's assertions cannot be trusted. Last error: {cache.Health.LastError}");
        }
    }
}
