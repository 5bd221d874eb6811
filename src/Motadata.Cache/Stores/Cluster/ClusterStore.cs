using System.Collections.Concurrent;
using System.Net;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Dragonfly;
using Motadata.Cache.Stores.Recovery;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Cluster;

/// <summary>
/// A Redis Cluster (Redis, Valkey, Dragonfly in cluster mode) with recovery on: one recovery per primary, so a primary
/// that is down or paused costs only the keys of its slots (misses, journaled removals) and never opens a breaker for
/// the others. Single-key calls go to the recovery of the primary that owns the key's slot (the client routes the
/// command itself, following <c>MOVED</c> and <c>ASK</c>); batch reads and warms are split by primary and sent to all
/// at once; invalidations, clears and statistics walk every primary at once, each under its own recovery, and walk
/// again while the cluster's slots move (see <see cref="DragonflyScanner"/>).
/// </summary>
/// <remarks>
/// Built when the servers answer as a cluster at construction. Every primary shares the one client connection of
/// <see cref="DragonflyStore"/>; what is per primary is the breaker, the journal and its replay (to that primary
/// alone). A key whose slot moves to another primary while the first has removals pending is served by the new
/// owner: keep resharding and outages apart (docs/scale-out.md).
/// </remarks>
internal sealed class ClusterStore : KeyRoutedStore<ClusterStore.Node>, IRecoveryState
{
    private readonly DragonflyStore _cluster;
    private readonly CacheConfig _config;
    private readonly CacheCounters _statistics;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<EndPoint, Node> _nodes = new();
    private readonly Lock _sync = new();
    private readonly CacheHealth _steadyHealth;

    // Which primary owns each hash slot, from the cluster's own configuration (kept current from the client's
    // MOVED and reconfiguration events). The client's server selection is not used for this: while a primary is
    // down it may hand a key to another primary, whose recovery would then journal (and replay, and widen on its own
    // node) removals that belong to the one that is down.
    private EndPoint?[] _slotOwners = new EndPoint?[SlotCount];
    private const int SlotCount = 16_384;

    public ClusterStore(DragonflyStore cluster, CacheConfig config, CacheCounters statistics, TimeProvider time)
    {
        _cluster = cluster;
        _config = config;
        _statistics = statistics;
        _time = time;
        _steadyHealth = new CacheHealth { Status = CacheHealthStatus.Healthy, Since = time.GetUtcNow() };
        foreach (var primary in cluster.Connection.Primaries())
        {
            NodeOn(primary);
        }

        RebuildSlotMap();
        cluster.Connection.Multiplexer.HashSlotMoved += OnHashSlotMoved;
        cluster.Connection.Multiplexer.ConfigurationChanged += OnConfigurationChanged;
    }

    public override string Name => _cluster.Name;

    /// <inheritdoc />
    public CacheHealth Health => FanOut.WorstHealth(_nodes.Values.Select(static node => node.Recovering.Health), _steadyHealth);

    /// <inheritdoc />
    public IReadOnlyList<KeyValuePair<string, CacheHealth>> NodeHealth =>
        [.. _nodes.Values.Select(static node => new KeyValuePair<string, CacheHealth>(DragonflyConnection.Describe(node.Server.EndPoint), node.Recovering.Health))];

    /// <inheritdoc />
    public int PendingRemovals
    {
        get
        {
            var pending = 0;
            foreach (var node in _nodes.Values)
            {
                pending += node.Recovering.PendingRemovals;
            }

            return pending;
        }
    }

    /// <inheritdoc />
    public CircuitState BreakerState => FanOut.WorstBreaker(_nodes.Values.Select(static node => node.Recovering.BreakerState));

    /// <inheritdoc />
    public Task WaitUntilHealthyAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_nodes.Values.Select(node => node.Recovering.WaitUntilHealthyAsync(cancellationToken)));

    // A pattern without wildcards names one key: only the primary that owns it is asked (its store deletes the key).
    public override StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern) =>
        pattern.ExactKey is { } exactKey
            ? StoreOf(PartOf(tenantId, exactKey)).Invalidate(tenantId, pattern)
            : Walk(store => store.Invalidate(tenantId, pattern));

    public override ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        pattern.ExactKey is { } exactKey
            ? StoreOf(PartOf(tenantId, exactKey)).InvalidateAsync(tenantId, pattern, cancellationToken)
            : WalkAsync(store => store.InvalidateAsync(tenantId, pattern, cancellationToken), cancellationToken);

    public override StoreOutcome<long> Clear(string? tenantId) => Walk(store => store.Clear(tenantId));

    public override ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        WalkAsync(store => store.ClearAsync(tenantId, cancellationToken), cancellationToken);

    public override void Dispose()
    {
        Unsubscribe();
        foreach (var node in _nodes.Values)
        {
            node.Recovering.Dispose();
        }

        _cluster.Dispose();
    }

    public override async ValueTask DisposeAsync()
    {
        Unsubscribe();
        foreach (var node in _nodes.Values)
        {
            await node.Recovering.DisposeAsync().ConfigureAwait(false);
        }

        await _cluster.DisposeAsync().ConfigureAwait(false);
    }

    protected override Node PartOf(string? tenantId, string key) => NodeOf(tenantId, key);

    protected override ICacheStore StoreOf(Node part) => part.Recovering;

    protected override IEnumerable<ICacheStore> Parts() => CurrentNodes().Select(static node => node.Recovering);

    private Node NodeOf(string? tenantId, string key)
    {
        var multiplexer = _cluster.Connection.Multiplexer;
        var serverKey = _cluster.Keys.ServerRedisKey(tenantId, key);
        var slot = multiplexer.HashSlot(serverKey);
        if ((uint)slot < SlotCount && Volatile.Read(ref _slotOwners)[slot] is { } owner)
        {
            return _nodes.TryGetValue(owner, out var known) ? known : NodeOn(multiplexer.GetServer(owner));
        }

        // The cluster's configuration is not known yet: as the client would route it, or any primary's recovery.
        IServer? server = null;
        try
        {
            server = multiplexer.GetServer(serverKey, null, CommandFlags.DemandMaster);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            // No primary known for the slot (the cluster is down or reconfiguring).
        }

        if (server is not null)
        {
            return NodeOn(server);
        }

        foreach (var node in _nodes.Values)
        {
            return node;
        }

        return NodeOn(_cluster.Connection.Primaries()[0]);
    }

    private void RebuildSlotMap()
    {
        ClusterConfiguration? configuration = null;
        foreach (var server in _cluster.Connection.Multiplexer.GetServers())
        {
            if (server.IsConnected && !server.IsReplica && server.ClusterConfiguration is { } known)
            {
                configuration = known;
                break;
            }
        }

        if (configuration is null)
        {
            return;
        }

        var owners = new EndPoint?[SlotCount];
        foreach (var node in configuration.Nodes)
        {
            if (node.IsReplica || node.EndPoint is not { } endpoint)
            {
                continue;
            }

            foreach (var range in node.Slots)
            {
                for (var slot = Math.Max(0, range.From); slot <= Math.Min(SlotCount - 1, range.To); slot++)
                {
                    owners[slot] = endpoint;
                }
            }
        }

        Volatile.Write(ref _slotOwners, owners);
    }

    private void OnHashSlotMoved(object? sender, HashSlotMovedEventArgs moved)
    {
        if ((uint)moved.HashSlot < SlotCount)
        {
            Volatile.Read(ref _slotOwners)[moved.HashSlot] = moved.NewEndPoint;
        }
    }

    private void OnConfigurationChanged(object? sender, EndPointEventArgs changed) => RebuildSlotMap();

    private void Unsubscribe()
    {
        _cluster.Connection.Multiplexer.HashSlotMoved -= OnHashSlotMoved;
        _cluster.Connection.Multiplexer.ConfigurationChanged -= OnConfigurationChanged;
    }

    private Node NodeOn(IServer server)
    {
        if (_nodes.TryGetValue(server.EndPoint, out var node))
        {
            return node;
        }

        lock (_sync)
        {
            if (!_nodes.TryGetValue(server.EndPoint, out node))
            {
                var view = _cluster.OnlyOn(server);
                node = new Node(server, new RecoveringStore(view, _config, _statistics, _time));
                _nodes[server.EndPoint] = node;
            }

            return node;
        }
    }

    /// <summary>A recovery for each primary the client knows now.</summary>
    private List<Node> CurrentNodes() => [.. _cluster.Connection.Primaries().Select(NodeOn)];

    // A removal walks every primary at once, each under its own recovery (a primary that fails journals its share),
    // and again while the cluster's slots move. While a primary is failing, or when the shape cannot be read, one walk
    // stands (without waiting on the failing primary for its shape): that primary's share is in its journal.
    private StoreOutcome<long> Walk(Func<ICacheStore, StoreOutcome<long>> remove)
    {
        long removed = 0;
        var started = Environment.TickCount64;
        while (true)
        {
            var before = AllHealthy() ? Shape(synchronous: true) : null;
            var outcome = FanOut.Sum([.. Parts().Select(remove)]);
            if (outcome.Failure is not null)
            {
                return outcome;
            }

            removed += outcome.Result;
            var after = before is null ? null : Shape(synchronous: true);
            if (before is null || after is null || (after.IsSettled && after.Equals(before)) || OverBudget(started))
            {
                return removed;
            }

            _cluster.Connection.Multiplexer.Configure();
            RebuildSlotMap();
        }
    }

    private async ValueTask<StoreOutcome<long>> WalkAsync(Func<ICacheStore, ValueTask<StoreOutcome<long>>> remove, CancellationToken cancellationToken)
    {
        long removed = 0;
        var started = Environment.TickCount64;
        while (true)
        {
            var before = AllHealthy() ? await ShapeAsync(cancellationToken).ConfigureAwait(false) : null;
            var outcome = FanOut.Sum(await Task.WhenAll(Parts().Select(store => remove(store).AsTask())).ConfigureAwait(false));
            if (outcome.Failure is not null)
            {
                return outcome;
            }

            removed += outcome.Result;
            var after = before is null ? null : await ShapeAsync(cancellationToken).ConfigureAwait(false);
            if (before is null || after is null || (after.IsSettled && after.Equals(before)) || OverBudget(started))
            {
                return removed;
            }

            await _cluster.Connection.Multiplexer.ConfigureAsync().ConfigureAwait(false);
            RebuildSlotMap();
        }
    }

    private bool AllHealthy()
    {
        foreach (var node in _nodes.Values)
        {
            if (node.Recovering.Health.Status != CacheHealthStatus.Healthy)
            {
                return false;
            }
        }

        return true;
    }

    private bool OverBudget(long started)
    {
        if (Environment.TickCount64 - started <= DragonflyScanner.TopologyBudget.TotalMilliseconds)
        {
            return false;
        }

        _cluster.Connection.RecordUnsettledWalk();
        return true;
    }

    private DragonflyScanner.ClusterShape? Shape(bool synchronous)
    {
        try
        {
            var pending = DragonflyScanner.ClusterShapeAsync(_cluster.Connection.Primaries(), synchronous, CancellationToken.None);
            return pending.IsCompleted ? pending.GetAwaiter().GetResult() : null;
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return null;
        }
    }

    private async ValueTask<DragonflyScanner.ClusterShape?> ShapeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await DragonflyScanner.ClusterShapeAsync(_cluster.Connection.Primaries(), synchronous: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return null;
        }
    }

    /// <summary>One primary: its server and its recovery (over a store whose walks cover that primary only).</summary>
    internal sealed class Node(IServer server, RecoveringStore recovering)
    {
        public IServer Server { get; } = server;

        public RecoveringStore Recovering { get; } = recovering;
    }
}
