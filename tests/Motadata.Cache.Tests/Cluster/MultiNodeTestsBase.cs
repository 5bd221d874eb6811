using Motadata.Cache.Stores.Backends.Dragonfly;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// Base for tests on several real nodes (a cluster, or independent sharded nodes): each test instance has its own key
/// prefix, every cache it creates is disposed after it, and with recovery on none may have failed a backend call
/// unless the test says it breaks a node.
/// </summary>
public abstract class MultiNodeTestsBase : IAsyncLifetime
{
    private readonly List<CacheMechanism> _caches = [];

    protected MultiNodeTestsBase(IMultiNodeTestTarget target)
    {
        Target = target;
        KeyPrefix = $"mn-{Guid.NewGuid():N}:";
    }

    protected IMultiNodeTestTarget Target { get; }

    /// <summary>This test's key prefix; every cache it creates shares it unless told otherwise.</summary>
    protected string KeyPrefix { get; }

    /// <summary>Set by a test that breaks a node on purpose: failed backend calls are then expected.</summary>
    protected bool FailuresExpected { get; set; }

    /// <summary>Asserts keys under <paramref name="prefix"/> are on every node, so the test really crosses nodes.</summary>
    protected async Task AssertOnEveryNodeAsync(string prefix)
    {
        var counts = await Target.CountPerNodeAsync(prefix);
        Assert.True(counts.All(count => count > 0), $"The keys under {prefix} are not on every node ({string.Join(", ", counts)}), so the test would not cross nodes.");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        var failures = FailuresExpected ? [] : _caches.Where(cache => cache.BackendFailures > 0).Select(cache => cache.Health.LastError).ToList();
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }

        Assert.True(failures.Count == 0, $"A backend call failed during the test (recovery turns that into a miss, so its assertions cannot be trusted): {string.Join("; ", failures)}");
    }

    /// <summary>A cache on the target under <see cref="KeyPrefix"/>, recovery on, generous timeout; disposed after the test.</summary>
    protected CacheMechanism CreateCache(Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig();
        Target.Configure(config);
        config.KeyPrefix = KeyPrefix;
        config.OperationTimeout = TimeSpan.FromSeconds(5);
        configure?.Invoke(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }

    /// <summary>The server-key prefix of <paramref name="tenantId"/>'s namespace under <paramref name="keyPrefix"/> (default <see cref="KeyPrefix"/>).</summary>
    protected string NamespacePrefix(string? tenantId, string? keyPrefix = null, TenantPlacement placement = TenantPlacement.Spread) =>
        DragonflyKeys.NamespacePrefix(keyPrefix ?? KeyPrefix, tenantId, placement);

    /// <summary>How many server keys start with <paramref name="prefix"/>, over every node.</summary>
    protected async Task<long> CountAsync(string prefix) => (await Target.CountPerNodeAsync(prefix)).Sum();

    /// <summary>Which node holds each server key under <paramref name="prefix"/>: key to node index.</summary>
    protected async Task<Dictionary<string, int>> NodeOfEachKeyAsync(string prefix)
    {
        var nodes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Target.Servers.Count; i++)
        {
            foreach (var key in await Target.KeysOnNodeAsync(i, prefix))
            {
                nodes.Add(key, i);
            }
        }

        return nodes;
    }

    protected static IEnumerable<KeyValuePair<string, int>> Numbered(string keyStart, int count) =>
        Enumerable.Range(0, count).Select(i => KeyValuePair.Create($"{keyStart}{i}", i));
}
