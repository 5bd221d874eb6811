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
    public CacheHealth Health
    {
        get
        {
            CacheHealth? worst = null;
            foreach (var shard in _shards)
            {
                if (shard.Recovering is { Health: var health } && (worst is null || Rank(health.Status) > Rank(worst.Status)))
                {
                    worst = health;
                }
            }

            return worst ?? _steadyHealth;

            static int Rank(CacheHealthStatus status) => status switch
            {
                CacheHealthStatus.Healthy => 0,
                CacheHealthStatus.Degraded => 1,
                _ => 2,
            };
        }
    }

    /// <inheritdoc />
    public CircuitState BreakerState
    {
        get
        {
            var worst = CircuitState.Closed;
            foreach (var shard in _shards)
            {
                if (shard.Recovering is { BreakerState: var state } && Rank(state) > Rank(worst))
                {
                    worst = state;
                }
            }

            return worst;

            static int Rank(CircuitState state) => state switch
            {
                CircuitState.Closed => 0,
                CircuitState.HalfOpen => 1,
                _ => 2,
            };
        }
    }

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

    public async ValueTask<StoreOutcome<ReadOutcome<T>[]>> ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var groups = Split(tenantId, keys.Count, i => keys[i]);
        var reads = new (List<int> Positions, Task<StoreOutcome<ReadOutcome<T>[]>> Pending)[groups.Count];
        var n = 0;
        foreach (var (shard, positions) in groups)
        {
            var group = new string[positions.Count];
            for (var i = 0; i < group.Length; i++)
            {
                group[i] = keys[positions[i]];
            }

            reads[n++] = (positions, _shards[shard].Store.ReadManyAsync<T>(tenantId, group, cancellationToken).AsTask());
        }

        var results = new ReadOutcome<T>[keys.Count];
        CacheBackendException? failure = null;
        foreach (var (positions, pending) in reads)
        {
            var outcome = await pending.ConfigureAwait(false);
            if (outcome.Failure is { } failed)
            {
                failure ??= failed;
                continue;
            }

            for (var i = 0; i < positions.Count; i++)
            {
                results[positions[i]] = outcome.Result[i];
            }
        }

        return failure is null ? results : StoreOutcome<ReadOutcome<T>[]>.Failed(failure);
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
            var outcome = _shards[shard].Store.WriteMany(tenantId, Pick(entries, positions), ttl);
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
            writes.Add(_shards[shard].Store.WriteManyAsync(tenantId, Pick(entries, positions), ttl, cancellationToken).AsTask());
        }

        return Sum(await Task.WhenAll(writes).ConfigureAwait(false));
    }

    public StoreOutcome<StoreUsage> GetUsage(string? tenantId)
    {
        var outcomes = new StoreOutcome<StoreUsage>[_shards.Length];
        for (var i = 0; i < _shards.Length; i++)
        {
            outcomes[i] = _shards[i].Store.GetUsage(tenantId);
        }

        return SumUsage(outcomes);
    }

    public async ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken)
    {
        var pending = new Task<StoreOutcome<StoreUsage>>[_shards.Length];
        for (var i = 0; i < _shards.Length; i++)
        {
            pending[i] = _shards[i].Store.GetUsageAsync(tenantId, cancellationToken).AsTask();
        }

        return SumUsage(await Task.WhenAll(pending).ConfigureAwait(false));
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

    private static KeyValuePair<string, T>[] Pick<T>(IReadOnlyList<KeyValuePair<string, T>> entries, List<int> positions)
    {
        var picked = new KeyValuePair<string, T>[positions.Count];
        for (var i = 0; i < picked.Length; i++)
        {
            picked[i] = entries[positions[i]];
        }

        return picked;
    }

    private static StoreOutcome<long> Sum(IEnumerable<StoreOutcome<long>> outcomes)
    {
        long total = 0;
        foreach (var outcome in outcomes)
        {
            if (outcome.Failure is { } failure)
            {
                return StoreOutcome<long>.Failed(failure);
            }

            total += outcome.Result;
        }

        return total;
    }

    private static StoreOutcome<StoreUsage> SumUsage(StoreOutcome<StoreUsage>[] outcomes)
    {
        long size = 0, bytes = 0;
        var nodes = new List<NodeUsage>(outcomes.Length);
        foreach (var outcome in outcomes)
        {
            if (outcome.Failure is { } failure)
            {
                return StoreOutcome<StoreUsage>.Failed(failure);
            }

            size += outcome.Result.Size;
            bytes += outcome.Result.MemoryBytes;
            nodes.AddRange(outcome.Result.Nodes ?? []);
        }

        return new StoreUsage(size, bytes, nodes);
    }

    private ICacheStore For(in CacheKey key) => _shards.Length == 1 ? _shards[0].Store : _shards[ShardOf(key.TenantId, key.Key)].Store;

    /// <summary>The positions of a batch grouped by the server that holds each key.</summary>
    private Dictionary<int, List<int>> Split(string? tenantId, int count, Func<int, string> keyAt)
    {
        var groups = new Dictionary<int, List<int>>();
        for (var i = 0; i < count; i++)
        {
            var shard = ShardOf(tenantId, keyAt(i));
            if (!groups.TryGetValue(shard, out var positions))
            {
                groups.Add(shard, positions = []);
            }

            positions.Add(i);
        }

        return groups;
    }

    private StoreOutcome<long> Each(Func<ICacheStore, StoreOutcome<long>> call)
    {
        var outcomes = new StoreOutcome<long>[_shards.Length];
        for (var i = 0; i < _shards.Length; i++)
        {
            outcomes[i] = call(_shards[i].Store);
        }

        return Sum(outcomes);
    }

    private async ValueTask<StoreOutcome<long>> EachAsync(Func<ICacheStore, ValueTask<StoreOutcome<long>>> call)
    {
        var pending = new Task<StoreOutcome<long>>[_shards.Length];
        for (var i = 0; i < _shards.Length; i++)
        {
            pending[i] = call(_shards[i].Store).AsTask();
        }

        return Sum(await Task.WhenAll(pending).ConfigureAwait(false));
    }

    /// <summary>One server: its store (recovering or not) and its name.</summary>
    private sealed class Shard(string name, ICacheStore store, RecoveringStore? recovering)
    {
        public string Name { get; } = name;

        public ICacheStore Store { get; } = store;

        public RecoveringStore? Recovering { get; } = recovering;
    }
}
