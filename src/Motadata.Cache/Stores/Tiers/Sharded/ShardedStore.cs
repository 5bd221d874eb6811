using Motadata.Cache.Keys;
using Motadata.Cache.Stores.Tiers.Recovery;
using Polly.CircuitBreaker;

namespace Motadata.Cache.Stores.Tiers.Sharded;

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
internal sealed class ShardedStore : KeyRoutedStore<int>, IRecoveryState
{
    private readonly Shard[] _shards;
    private readonly ulong[] _seeds;
    private readonly CacheHealth _steadyHealth;

    /// <param name="shards">The servers, in URL order, each built by the composition root (its store, with its recovery when on).</param>
    /// <param name="time">The clock.</param>
    public ShardedStore(IReadOnlyList<Shard> shards, TimeProvider time)
    {
        _shards = [.. shards];
        _seeds = [.. _shards.Select(static shard => Rendezvous.Seed(shard.Name))];
        _steadyHealth = new CacheHealth { Status = CacheHealthStatus.Healthy, Since = time.GetUtcNow() };
    }

    public override string Name => "dragonfly";

    /// <summary>The servers' names (<c>host:port</c>), in URL order.</summary>
    internal IEnumerable<string> ServerNames => _shards.Select(static shard => shard.Name);

    /// <inheritdoc />
    public CacheHealth Health =>
        FanOut.WorstHealth(_shards.Where(static shard => shard.Recovering is not null).Select(static shard => shard.Recovering!.Health), _steadyHealth);

    /// <inheritdoc />
    public IReadOnlyList<KeyValuePair<string, CacheHealth>> NodeHealth =>
        [.. _shards.Where(static shard => shard.Recovering is not null).Select(static shard => new KeyValuePair<string, CacheHealth>(shard.Name, shard.Recovering!.Health))];

    /// <inheritdoc />
    public int PendingRemovals
    {
        get
        {
            var pending = 0;
            foreach (var shard in _shards)
            {
                pending += shard.Recovering?.PendingRemovals ?? 0;
            }

            return pending;
        }
    }

    /// <inheritdoc />
    public CircuitState BreakerState =>
        FanOut.WorstBreaker(_shards.Where(static shard => shard.Recovering is not null).Select(static shard => shard.Recovering!.BreakerState));

    /// <inheritdoc />
    public Task WaitUntilHealthyAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_shards.Where(static shard => shard.Recovering is not null).Select(shard => shard.Recovering!.WaitUntilHealthyAsync(cancellationToken)));

    /// <summary>The index of the server that holds (<paramref name="tenantId"/>, <paramref name="key"/>).</summary>
    internal int ShardOf(string? tenantId, string key) => Rendezvous.Pick(_seeds, tenantId, key);

    public override StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern) => Each(shard => shard.Invalidate(tenantId, pattern));

    public override ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        EachAsync(shard => shard.InvalidateAsync(tenantId, pattern, cancellationToken));

    public override StoreOutcome<long> Clear(string? tenantId) => Each(shard => shard.Clear(tenantId));

    public override ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        EachAsync(shard => shard.ClearAsync(tenantId, cancellationToken));

    public override void Dispose()
    {
        foreach (var shard in _shards)
        {
            shard.Store.Dispose();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var shard in _shards)
        {
            await shard.Store.DisposeAsync().ConfigureAwait(false);
        }
    }

    protected override int PartOf(string? tenantId, string key) => ShardOf(tenantId, key);

    protected override ICacheStore StoreOf(int part) => _shards[part].Store;

    protected override IEnumerable<ICacheStore> Parts() => _shards.Select(static shard => shard.Store);

    // Every server at once (the synchronous twin one after another), added up.
    private StoreOutcome<long> Each(Func<ICacheStore, StoreOutcome<long>> call) => FanOut.Sum([.. Parts().Select(call)]);

    private async ValueTask<StoreOutcome<long>> EachAsync(Func<ICacheStore, ValueTask<StoreOutcome<long>>> call) =>
        FanOut.Sum(await Task.WhenAll(Parts().Select(store => call(store).AsTask())).ConfigureAwait(false));

    /// <summary>One server: its store (recovering or not) and its name (<c>host:port</c> as written in the URL).</summary>
    internal sealed class Shard(string name, ICacheStore store, RecoveringStore? recovering)
    {
        public string Name { get; } = name;

        public ICacheStore Store { get; } = store;

        public RecoveringStore? Recovering { get; } = recovering;
    }
}
