using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.Contract;

/// <summary>
/// The contract on Dragonfly with recovery on (the default): failures would read as misses, so every test also
/// asserts that no backend call failed.
/// </summary>
public sealed class DragonflyCacheContractTests : DragonflyCacheContractTestsBase, IClassFixture<RedisServerFixture>
{
    public DragonflyCacheContractTests(RedisServerFixture fixture)
        : base(fixture, enableRecovery: true)
    {
    }
}
