using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.Contract;

/// <summary>The contract on Dragonfly with recovery off: every failure reaches the caller as an exception.</summary>
public sealed class DragonflyWithoutRecoveryCacheContractTests : DragonflyCacheContractTestsBase, IClassFixture<RedisServerFixture>
{
    public DragonflyWithoutRecoveryCacheContractTests(RedisServerFixture fixture)
        : base(fixture, enableRecovery: false)
    {
    }
}
