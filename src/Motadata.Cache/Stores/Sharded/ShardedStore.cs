using Motadata.Cache.Configuration;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Dragonfly;
using Motadata.Cache.Stores.Recovery;
using Polly.CircuitBreaker;

namespace Motadata.Cache.Stores.Sharded;

/// <summary>
/// Spreads keys over several independent Dragonfly (or Redis, Valkey) servers, with
/// <see cref="CacheConfig.EnableSharding"/> and several hosts in <see cref="CacheConfig.DragonflyUrl"/>. Each server
/// is a whole store of its own (its connection, and with <see cref="CacheConfig.EnableRecovery"/> its own breaker and
/// invalidation journal), so a server that is down costs only its share of the keys and never slows the others, and
/// the journal of a server replays to it alone.
/// </summary>
/// <remarks>
/// A key goes to the server with the highest score <c>mix(hash(tenant, key) xor seed(server))</c> (rendezvous, or
/// highest-random-weight, hashing), the seed of a server being the hash of its <c>host:port</c> as written in the
/// URL. Adding or removing one server of N moves only the keys that score highest on it, about 1/N of them, and the
/// order of the hosts in the URL does not matter. Single-key calls go to one server; batch reads and warms are
/// split by server and sent to all at once; invalidations, clears and statistics go to every server at once and add
/// up.
/// </remarks>
internal sealed class ShardedStore : ICacheStore, IRecoveryState
{
    private readonly Shard[] _shards;
    private readonly ulong[] _seeds;
    private readonly CacheHealth _steadyHealth;

    public ShardedStore(CacheConfig config, CacheCounters statistics, TimeProvider time)
    {
        var endpoint = DragonflyEndpoint.Parse(config.DragonflyUrl!);
        var shards = new List<Shard>(endpoint.Hosts.Count);
        try
        {
            for (var i = 0; i < endpoint.Hosts.Count; i++)
            {
                var node = endpoint.ForHost(i);
                var server = new DragonflyStore(config, statistics, node);
                var name = node.Describe();
                if (server.Connection.IsCluster())
                {
                    server.Dispose();
                    throw new ArgumentException(
                        $"EnableSharding is on but {name} in DragonflyUrl answers as a Redis Cluster node; a cluster spreads keys over its own primaries, so turn EnableSharding off and list the cluster's nodes in DragonflyUrl.",
                        nameof(config));
                }

                var recovering = config.EnableRecovery ? new RecoveringStore(server, config, statistics, time) : null;
                shards.Add(new Shard(name, (ICacheStore?)recovering ?? server, recovering));
            }
        }
        catch
        {
            foreach (var shard in shards)
            {
                shard.Store.Dispose();
            }

            throw;
        }

        _shards = [.. shards];
        _seeds = [.. shards.Select(static shard => Rendezvous.Seed(shard.Name))];
        _steadyHealth = new CacheHealth { Status = CacheHealthStatus.Healthy, Since = time.GetUtcNow() };
    }

    public string Name => "dragonfly";

    /// <summary>The servers' names (<c>host:port</c>), in URL order.</summary>
    internal IEnumerable<string> ServerNames => _shards.Select(static shard => shard.Name);

    /// <inheritdoc />
    public CacheHealth Health =>
        FanOut.WorstHealth(_shards.Where(static shard => shard.Recovering is not null).Select(static shard => shard.Recovering!.Health), _steadyHealth);

    /// <inheritdoc />
    public CircuitState BreakerState =>
        FanOut.WorstBreaker(_shards.Where(static shard => shard.Recovering is not null).Select(static shard => shard.Recovering!.BreakerState));

    /// <inheritdoc />
    public Task WaitUntilHealthyAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_shards.Where(static shard => shard.Recovering is not null).Select(shard => shard.Recovering!.WaitUntilHealthyAsync(cancellationToken)));

    /// <summary>The index of the server that holds (<paramref name="tenantId"/>, <paramref name="key"/>).</summary>
    internal int ShardOf(string? tenantId, string key) => Rendezvous.Pick(_seeds, tenantId, key);

    public ReadOutcome<T> Read<T>(in CacheKey key) => For(key).Read<T>(key);

    public ValueTask<ReadOutcome<T>> ReadAsync<T>(CacheKey key, CancellationToken cancellationToken) => For(key).ReadAsync<T>(key, cancellationToken);

    public ValueTask<TResult> ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult> =>
        For(key).ReadAsync<T, TResult, TProjection>(key, projection, cancellationToken);

    public ValueTask<StoreOutcome<ReadOutcome<T>[]>> ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var reads = new List<(List<int> Positions, Task<StoreOutcome<ReadOutcome<T>[]>> Pending)>();
        foreach (var (shard, positions) in Split(tenantId, keys.Count, i => keys[i]))
        {
            reads.Add((positions, _shards[shard].Store.ReadManyAsync<T>(tenantId, FanOut.Pick(keys, positions), cancellationToken).AsTask()));
        }

        return FanOut.GatherAsync(keys.Count, reads);
    }

    public WriteOutcome Write<T>(in CacheKey key, T value, TimeSpan ttl) => For(key).Write(key, value, ttl);

    public ValueTask<WriteOutcome> WriteAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken) =>
        For(key).WriteAsync(key, value, ttl, cancellationToken);

    public StoreOutcome<bool> Extend(in CacheKey key, byte[] expected, TimeSpan ttl) => For(key).Extend(key, expected, ttl);

    public ValueTask<StoreOutcome<bool>> ExtendAsync(CacheKey key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken) =>
        For(key).ExtendAsync(key, expected, ttl, cancellationToken);

    public StoreOutcome<bool> Delete(in CacheKey key) => For(key).Delete(key);

    public ValueTask<StoreOutcome<bool>> DeleteAsync(CacheKey key, CancellationToken cancellationToken) => For(key).DeleteAsync(key, cancellationToken);

    public StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern) => Each(shard => shard.Invalidate(tenantId, pattern));

    public ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        EachAsync(shard => shard.InvalidateAsync(tenantId, pattern, cancellationToken));

    public StoreOutcome<long> Clear(string? tenantId) => Each(shard => shard.Clear(tenantId));

    public ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        EachAsync(shard => shard.ClearAsync(tenantId, cancellationToken));

    public StoreOutcome<long> WriteMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        long stored = 0;
        CacheBackendException? failure = null;
        foreach (var (shard, positions) in Split(tenantId, entries.Count, i => entries[i].Key))
        {
            var outcome = _shards[shard].Store.WriteMany(tenantId, FanOut.Pick(entries, positions), ttl);
            failure ??= outcome.Failure;
            stored += outcome.Failure is null ? outcome.Result : 0;
        }

        return failure is null ? stored : StoreOutcome<long>.Failed(failure);
    }

    public async ValueTask<StoreOutcome<long>> WriteManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var writes = new List<Task<StoreOutcome<long>>>();
        foreach (var (shard, positions) in Split(tenantId, entries.Count, i => entries[i].Key))
        {
            writes.Add(_shards[shard].Store.WriteManyAsync(tenantId, FanOut.Pick(entries, positions), ttl, cancellationToken).AsTask());
        }

        return FanOut.Sum(await Task.WhenAll(writes).ConfigureAwait(false));
    }

    public StoreOutcome<StoreUsage> GetUsage(string? tenantId)
    {
        var outcomes = new StoreOutcome<StoreUsage>[_shards.Length];
        for (var i = 0; i < _shards.Length; i++)
        {
            outcomes[i] = _shards[i].Store.GetUsage(tenantId);
        }

        return FanOut.SumUsage(outcomes);
    }

    public async ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken)
    {
        var pending = new Task<StoreOutcome<StoreUsage>>[_shards.Length];
        for (var i = 0; i < _shards.Length; i++)
        {
            pending[i] = _shards[i].Store.GetUsageAsync(tenantId, cancellationToken).AsTask();
        }

        return FanOut.SumUsage(await Task.WhenAll(pending).ConfigureAwait(false));
    }

    public void Dispose()
    {
        foreach (var shard in _shards)
        {
            shard.Store.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var shard in _shards)
        {
            await shard.Store.DisposeAsync().ConfigureAwait(false);
        }
    }

    private ICacheStore For(in CacheKey key) => _shards.Length == 1 ? _shards[0].Store : _shards[ShardOf(key.TenantId, key.Key)].Store;

    /// <summary>The positions of a batch grouped by the server that holds each key.</summary>
    private Dictionary<int, List<int>> Split(string? tenantId, int count, Func<int, string> keyAt) =>
        FanOut.Split(count, i => ShardOf(tenantId, keyAt(i)));

    private StoreOutcome<long> Each(Func<ICacheStore, StoreOutcome<long>> call)
    {
        var outcomes = new StoreOutcome<long>[_shards.Length];
        for (var i = 0; i < _shards.Length; i++)
        {
            outcomes[i] = call(_shards[i].Store);
        }

        return FanOut.Sum(outcomes);
    }

    private async ValueTask<StoreOutcome<long>> EachAsync(Func<ICacheStore, ValueTask<StoreOutcome<long>>> call)
    {
        var pending = new Task<StoreOutcome<long>>[_shards.Length];
        for (var i = 0; i < _shards.Length; i++)
        {
            pending[i] = call(_shards[i].Store).AsTask();
        }

        return FanOut.Sum(await Task.WhenAll(pending).ConfigureAwait(false));
    }

    /// <summary>One server: its store (recovering or not) and its name.</summary>
    private sealed class Shard(string name, ICacheStore store, RecoveringStore? recovering)
    {
        public string Name { get; } = name;

        public ICacheStore Store { get; } = store;

        public RecoveringStore? Recovering { get; } = recovering;
    }
}
