using System.Collections.Concurrent;
using System.Net;
using Motadata.Cache.Keys;
using Motadata.Cache.Stores.Backends.Dragonfly;
using Motadata.Cache.Stores.Tiers.Recovery;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Tiers.Cluster;

/// <summary>
/// A Redis Cluster (Redis, Valkey, Dragonfly in cluster mode) with recovery on: one recovery per primary, so a primary
/// that is down or paused costs only the keys of its slots (misses, journaled removals) and never opens a breaker for
/// the others. Single-key calls go to the recovery of the primary that owns the key's slot (the client routes the
/// command itself, following <c>MOVED</c> and <c>ASK</c>); batch reads and warms are split by primary and sent to all
/// at once; invalidations, clears and statistics walk every primary the cluster lists now, each under its own
/// recovery, and walk again when the cluster's shape changed during the walk.
/// </summary>
/// <remarks>
/// <para>
/// Recovery follows slot ownership, read from the cluster's own view (<see cref="ClusterView"/>: <c>CLUSTER NODES</c>
/// of the live nodes, merged by configuration epoch), not from the client's list of servers, which keeps a dead
/// primary for a long time. A watcher reads the view four times a second while any primary is failing (and every few
/// seconds otherwise, or at once when the client reports a move). When a primary no longer owns any slot (its replica
/// took over, or it was removed), it is retired: its recovery stops, it leaves walks and health, and its journal is
/// handed to the new owners of its slots before the new slot map is published, so no read of those slots reaches the
/// new owner before the removals made while the old one was away are replayed there (an invalidation or clear is
/// replayed over the whole new owner: wider, never staler). A retired node that comes back as a replica is never
/// replayed against.
/// </para>
/// <para>
/// Every primary shares the one client connection of the cluster's store; what is per primary is the breaker, the
/// journal and its replay (to that primary alone). The composition root hands in the cluster's store, its connection
/// and key layout, and how to make the recovery of one primary (over a view of the store that walks that primary only).
/// </para>
/// </remarks>
internal sealed class ClusterStore : KeyRoutedStore<ClusterStore.Node>, IRecoveryState, IHealthSignal
{
    private const int SlotCount = ClusterView.SlotCount;

    // How often the cluster's view is read while a primary is failing, and otherwise.
    private static readonly TimeSpan UrgentWatch = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan IdleWatch = TimeSpan.FromSeconds(1);

    private readonly ICacheStore _cluster;
    private readonly DragonflyConnection _connection;
    private readonly DragonflyKeys _keys;
    private readonly Func<IServer, RecoveringStore> _recoverNode;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<EndPoint, Node> _nodes = new();
    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CacheHealth _steadyHealth;
    private readonly TimeSpan _viewTimeout;
    private readonly Task _watcher;

    // Which primary owns each hash slot, and with which configuration epoch, from the cluster's own view (and the
    // client's MOVED events for primaries with nothing pending). Replaced whole on every change of ownership.
    private volatile Topology _topology = Topology.Unknown;
    private int _refreshRequested;

    // Degraded while the cluster's view shows a slot with no live primary (its owner flagged failing, or none), even
    // before any call has failed there; null otherwise.
    private volatile CacheHealth? _viewHealth;

    // Runs after the slot map changed, until the client routes by the new map too (its own refresh of the cluster's
    // shape): meanwhile it may still send a key to the departed primary, so Health stays Degraded.
    private volatile Task _clientLearning = Task.CompletedTask;
    private CacheHealth? _learningHealth;
    private readonly ConcurrentDictionary<int, RedisKey> _slotKeys = new();

    // The nodes as an array (replaced whole under _sync when one is added or retired), so IsHealthy, read on the local
    // level's hit path, loops without allocating.
    private volatile Node[] _nodeList = [];

    /// <param name="cluster">The cluster's store (the shared client); disposed with this one.</param>
    /// <param name="connection">Its connection: the cluster's view, slots and primaries.</param>
    /// <param name="keys">Its key layout: which slot a key is in.</param>
    /// <param name="recoverNode">Makes the recovery of one primary.</param>
    /// <param name="config">The settings.</param>
    /// <param name="time">The clock.</param>
    public ClusterStore(ICacheStore cluster, DragonflyConnection connection, DragonflyKeys keys, Func<IServer, RecoveringStore> recoverNode, CacheConfig config, TimeProvider time)
    {
        _cluster = cluster;
        _connection = connection;
        _keys = keys;
        _recoverNode = recoverNode;
        _time = time;
        _steadyHealth = new CacheHealth { Status = CacheHealthStatus.Healthy, Since = time.GetUtcNow() };
        _viewTimeout = config.OperationTimeout < TimeSpan.FromSeconds(2) ? config.OperationTimeout : TimeSpan.FromSeconds(2);
        try
        {
            Apply(ClusterView.ReadAsync(connection.Multiplexer, _viewTimeout, CancellationToken.None).GetAwaiter().GetResult());
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            // The view is read again by the watcher.
        }

        if (_nodes.IsEmpty)
        {
            foreach (var primary in connection.Primaries())
            {
                NodeOn(primary.EndPoint);
            }
        }

        connection.Multiplexer.HashSlotMoved += OnHashSlotMoved;
        connection.Multiplexer.ConfigurationChanged += OnConfigurationChanged;
        _watcher = Task.Run(WatchAsync);
    }

    public override string Name => _cluster.Name;

    /// <inheritdoc />
    public CacheHealth Health
    {
        get
        {
            var health = FanOut.WorstHealth(_nodes.Values.Select(static node => node.Recovering.Health), _steadyHealth);
            if (health.Status != CacheHealthStatus.Healthy)
            {
                return health;
            }

            return _viewHealth ?? (_clientLearning.IsCompleted ? health : _learningHealth ?? health);
        }
    }

    /// <summary>
    /// Exactly whether every primary's recovery handles no failure and every slot has a live primary the client
    /// routes to (what <see cref="Health"/> calls healthy), without allocating: the local level's signal.
    /// </summary>
    public bool IsHealthy
    {
        get
        {
            foreach (var node in _nodeList)
            {
                if (!node.Recovering.IsHealthy)
                {
                    return false;
                }
            }

            return _viewHealth is null && _clientLearning.IsCompleted;
        }
    }

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

    /// <summary>Primaries retired so far (no longer owning any slot), for tests and diagnostics.</summary>
    internal int RetiredPrimaries => Volatile.Read(ref _retired);

    private int _retired;

    /// <summary>Each primary's health now, for tests and diagnostics.</summary>
    internal string DescribeNodes() =>
        string.Join("; ", _nodes.Select(static pair => $"{DragonflyConnection.Describe(pair.Key)} {pair.Value.Recovering.Health.Status} ({pair.Value.Recovering.Health.LastError})"));

    /// <inheritdoc />
    public async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await Task.WhenAll(_nodes.Values.Select(node => node.Recovering.WaitUntilHealthyAsync(cancellationToken))).ConfigureAwait(false);
            }
            catch (ObjectDisposedException) when (!_stopping.IsCancellationRequested)
            {
                // A primary was retired while waited for: its slots' new owner is waited for next.
            }

            if (Health.Status == CacheHealthStatus.Healthy)
            {
                return;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

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

    // Usage is not a removal: when the shape changed during the walk, the walk is done again and the last one stands.
    public override StoreOutcome<StoreUsage> GetUsage(string? tenantId) =>
        GetUsageAsync(tenantId, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken)
    {
        var started = Environment.TickCount64;
        while (true)
        {
            var before = await RefreshAsync(cancellationToken).ConfigureAwait(false);
            await _clientLearning.WaitAsync(cancellationToken).ConfigureAwait(false);
            var usage = FanOut.SumUsage(await Task.WhenAll(Parts().Select(store => store.GetUsageAsync(tenantId, cancellationToken).AsTask())).ConfigureAwait(false));
            var after = usage.Failure is null && before is not null ? await RefreshAsync(cancellationToken).ConfigureAwait(false) : null;
            if (after is null || (after.IsSettled && after.Shape == before!.Shape) || OverBudget(started))
            {
                return usage;
            }
        }
    }

    public override void Dispose()
    {
        Stop();
        foreach (var node in _nodes.Values)
        {
            node.Recovering.Dispose();
        }

        _cluster.Dispose();
    }

    public override async ValueTask DisposeAsync()
    {
        Stop();
        await _watcher.ConfigureAwait(false);
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
        var multiplexer = _connection.Multiplexer;
        var serverKey = _keys.ServerRedisKey(tenantId, key);
        var slot = multiplexer.HashSlot(serverKey);
        var topology = _topology;
        if ((uint)slot < SlotCount && topology.Owners[slot] is { } owner)
        {
            // A node retired since this caller read the shape is not made again: route by the new shape instead.
            return _nodes.TryGetValue(owner, out var known) ? known : NodeOn(owner, topology) ?? NodeOf(tenantId, key);
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
            return NodeOn(server.EndPoint);
        }

        foreach (var node in _nodes.Values)
        {
            return node;
        }

        return NodeOn(_connection.Primaries()[0].EndPoint);
    }

    /// <summary>The recovery of each primary the cluster lists now (before its view is known, of each the client knows).</summary>
    private List<Node> CurrentNodes()
    {
        var topology = _topology;
        if (topology.Primaries.Length > 0)
        {
            var nodes = new List<Node>(topology.Primaries.Length);
            foreach (var primary in topology.Primaries)
            {
                if (NodeOn(primary, topology) is not { } node)
                {
                    // The shape changed since it was read (a primary was retired): list the new one's.
                    return CurrentNodes();
                }

                nodes.Add(node);
            }

            return nodes;
        }

        return [.. _connection.Primaries().Select(static server => server.EndPoint).Select(NodeOn)];
    }

    private Node NodeOn(EndPoint endpoint) => NodeOn(endpoint, routedBy: null)!;

    /// <summary>
    /// The node of <paramref name="endpoint"/>, made when first needed; null when <paramref name="routedBy"/> (the shape
    /// the caller routed by) is no longer the current one and the node is not known: the endpoint may be a primary
    /// retired since, and a fresh store for it would take removals its successor must see (the caller routes again).
    /// </summary>
    private Node? NodeOn(EndPoint endpoint, Topology? routedBy)
    {
        if (_nodes.TryGetValue(endpoint, out var node))
        {
            return node;
        }

        lock (_sync)
        {
            if (!_nodes.TryGetValue(endpoint, out node))
            {
                if (routedBy is not null && !ReferenceEquals(routedBy, _topology))
                {
                    return null;
                }

                var server = _connection.Multiplexer.GetServer(endpoint);
                node = new Node(server, _recoverNode(server));
                _nodes[endpoint] = node;
                _nodeList = [.. _nodes.Values];
            }

            return node;
        }
    }

    /// <summary>Reads the cluster's view and applies it (one refresh at a time); null when no node answered.</summary>
    private async Task<ClusterView?> RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ClusterView? view;
            try
            {
                view = await ClusterView.ReadAsync(_connection.Multiplexer, _viewTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
            {
                return null;
            }

            Apply(view);
            return view;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>
    /// Takes <paramref name="view"/> as the slot map (slot by slot, where its epoch is not older than what is known),
    /// then retires every primary that owns no slot: its journal goes to the new owners of its slots, and primaries
    /// that keep removals to replay hand a copy to whoever took slots from them; only then is the map published.
    /// </summary>
    private void Apply(ClusterView? view)
    {
        if (view is null || _stopping.IsCancellationRequested)
        {
            return;
        }

        var endpoints = new Dictionary<string, EndPoint?>(StringComparer.Ordinal);
        bool first;
        lock (_sync)
        {
            _viewHealth = HealthOf(view);
            var old = _topology;
            var owners = (EndPoint?[])old.Owners.Clone();
            var epochs = (long[])old.Epochs.Clone();
            var changed = false;
            for (var slot = 0; slot < SlotCount; slot++)
            {
                if (view.Owners[slot] is not { } address || view.Epochs[slot] < epochs[slot])
                {
                    continue;
                }

                if (!endpoints.TryGetValue(address, out var endpoint))
                {
                    endpoint = ClusterView.EndPointOf(address);
                    if (endpoint is not null && !_nodes.ContainsKey(endpoint) && !TryAddNode(endpoint))
                    {
                        endpoint = null;
                    }

                    endpoints[address] = endpoint;
                }

                if (endpoint is null)
                {
                    continue;
                }

                changed |= !endpoint.Equals(owners[slot]);
                owners[slot] = endpoint;
                epochs[slot] = view.Epochs[slot];
            }

            first = old.Primaries.Length == 0;
            var topology = changed || first ? new Topology(owners, epochs) : old;
            var current = topology.Primaries.ToHashSet();
            foreach (var (endpoint, node) in _nodes)
            {
                if (!current.Contains(endpoint))
                {
                    Retire(node, old, topology);
                }
            }

            if (topology == old)
            {
                // Nothing moved; a node made for a slot by a read that raced the last change is retired above.
                RemoveRetired(current);
                return;
            }

            HandOverMovedSlots(old, topology, current);
            _topology = topology;
            RemoveRetired(current);
        }

        if (first)
        {
            // The client has just read the same shape itself.
            return;
        }

        // The client learns the new shape too (it keeps routing to a dead primary until it does); not waited for here.
        _learningHealth = new CacheHealth { Status = CacheHealthStatus.Degraded, Since = _time.GetUtcNow(), LastError = "The cluster's primaries changed; the client is learning the new slot map." };
        _clientLearning = LearnShapeAsync(_topology, _stopping.Token);
    }

    /// <summary>
    /// Has the client read the cluster's shape again until it routes like <paramref name="topology"/>: every primary
    /// of it is one to the client too (a promoted replica is taken for a replica until then), and a key of one of its
    /// slots is sent to it. Tries again every moment until it does, a newer shape replaces this one, or 30 s have
    /// passed (a client that names the nodes differently than the cluster does, by host name, is then not held
    /// Degraded for good; it follows MOVED replies).
    /// </summary>
    private async Task LearnShapeAsync(Topology topology, CancellationToken cancellationToken)
    {
        var multiplexer = _connection.Multiplexer;
        var deadline = Environment.TickCount64 + 30_000;
        while (!cancellationToken.IsCancellationRequested && ReferenceEquals(_topology, topology) && Environment.TickCount64 < deadline)
        {
            try
            {
                await multiplexer.ConfigureAsync().WaitAsync(_viewTimeout * 5, cancellationToken).ConfigureAwait(false);
                if (ClientRoutesLike(topology))
                {
                    return;
                }

                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is TimeoutException or ArgumentException || DragonflyConnection.IsBackendFailure(exception))
            {
                // The client could not reconfigure now (it follows MOVED replies meanwhile): again in a moment.
                await Task.Delay(250, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Anything else (the connection disposed under it, say): stop waiting rather than fault. Walks await
                // this task, and a faulted one would fail every Invalidate, Clear and stats call until the next change
                // of shape; they read the cluster's view before and after anyway.
                return;
            }
        }
    }

    /// <summary>True when the client sends a key of each primary's first slot to that primary, and takes it for one.</summary>
    private bool ClientRoutesLike(Topology topology)
    {
        var multiplexer = _connection.Multiplexer;
        foreach (var primary in topology.Primaries)
        {
            if (multiplexer.GetServer(primary) is not { IsConnected: true, IsReplica: false })
            {
                return false;
            }

            var slot = Array.FindIndex(topology.Owners, owner => primary.Equals(owner));
            var routed = multiplexer.GetServer(KeyOfSlot(slot), null, CommandFlags.DemandMaster);
            if (routed is null || !primary.Equals(routed.EndPoint))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A key whose hash slot is <paramref name="slot"/> (found by counting, remembered).</summary>
    private RedisKey KeyOfSlot(int slot)
    {
        if (_slotKeys.TryGetValue(slot, out var known))
        {
            return known;
        }

        var multiplexer = _connection.Multiplexer;
        for (var i = 0; ; i++)
        {
            RedisKey candidate = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (multiplexer.HashSlot(candidate) == slot)
            {
                _slotKeys[slot] = candidate;
                return candidate;
            }
        }
    }

    private void RemoveRetired(HashSet<EndPoint> current)
    {
        foreach (var endpoint in _nodes.Keys)
        {
            if (!current.Contains(endpoint) && _nodes.TryRemove(endpoint, out var retired))
            {
                lock (_sync)
                {
                    _nodeList = [.. _nodes.Values];
                }

                retired.Recovering.Dispose();
                Interlocked.Increment(ref _retired);
            }
        }
    }

    /// <summary>Degraded when a slot has no owner, or its owner is flagged failing; null when every slot has a live primary.</summary>
    private CacheHealth? HealthOf(ClusterView view)
    {
        string? problem = null;
        for (var slot = 0; slot < SlotCount && problem is null; slot++)
        {
            if (view.Owners[slot] is not { } owner)
            {
                problem = $"The cluster lists no primary for hash slot {slot}.";
            }
            else if (view.Failing.Contains(owner))
            {
                problem = $"The cluster flags primary {owner} as failing; its slots have no live primary until a replica takes over or it returns.";
            }
        }

        if (problem is null)
        {
            return null;
        }

        var previous = _viewHealth;
        return previous?.LastError == problem ? previous : new CacheHealth
        {
            Status = CacheHealthStatus.Degraded,
            Since = previous?.Since ?? _time.GetUtcNow(),
            LastError = problem,
            LastErrorAt = _time.GetUtcNow(),
        };
    }

    private bool TryAddNode(EndPoint endpoint)
    {
        try
        {
            NodeOn(endpoint);
            return true;
        }
        catch (ArgumentException)
        {
            // The client does not know this node yet: its slots keep their owner until it does.
            RequestRefresh();
            return false;
        }
    }

    /// <summary>
    /// Retires <paramref name="node"/> (no longer a primary): what it has left to replay, and whatever it is still
    /// asked to journal, goes to the new owner of the slot (a delete) or to every new owner of its slots.
    /// </summary>
    private void Retire(Node node, Topology old, Topology next)
    {
        var endpoint = node.Server.EndPoint;
        var successors = new List<Node>();
        for (var slot = 0; slot < SlotCount; slot++)
        {
            if (endpoint.Equals(old.Owners[slot]) && next.Owners[slot] is { } owner && _nodes.TryGetValue(owner, out var successor) && !successors.Contains(successor))
            {
                successors.Add(successor);
            }
        }

        if (successors.Count == 0)
        {
            // Its slots are not known (it never owned any in the map): every primary takes its removals.
            successors.AddRange(next.Primaries.Select(p => _nodes.TryGetValue(p, out var n) ? n : null).OfType<Node>());
        }

        var entries = node.Recovering.Retire(entry => HandOver(entry, successors, _topology));
        foreach (var entry in entries)
        {
            HandOver(entry, successors, next);
        }
    }

    /// <summary>One removal of a departed primary, to the owner of its key's slot (a delete) or to every successor.</summary>
    private void HandOver(JournalEntry entry, List<Node> successors, Topology topology)
    {
        if (entry.Operation == JournalOperation.Delete && entry.Text is { } key)
        {
            var slot = _connection.Multiplexer.HashSlot(_keys.ServerRedisKey(entry.TenantId, key));
            if ((uint)slot < SlotCount && topology.Owners[slot] is { } owner && _nodes.TryGetValue(owner, out var node) && successors.Contains(node))
            {
                node.Recovering.Adopt([entry]);
                return;
            }
        }

        foreach (var successor in successors)
        {
            successor.Recovering.Adopt([entry]);
        }
    }

    /// <summary>A slot moved from a primary that still has removals to replay: the new owner replays them too.</summary>
    private void HandOverMovedSlots(Topology old, Topology next, HashSet<EndPoint> current)
    {
        Dictionary<Node, HashSet<Node>>? moves = null;
        for (var slot = 0; slot < SlotCount; slot++)
        {
            if (old.Owners[slot] is { } from && next.Owners[slot] is { } to && !from.Equals(to) && current.Contains(from)
                && _nodes.TryGetValue(from, out var source) && !source.Recovering.IsHealthy && _nodes.TryGetValue(to, out var target))
            {
                moves ??= [];
                if (!moves.TryGetValue(source, out var targets))
                {
                    moves[source] = targets = [];
                }

                targets.Add(target);
            }
        }

        foreach (var (source, targets) in moves ?? [])
        {
            var pending = source.Recovering.PendingJournalEntries();
            foreach (var target in targets)
            {
                target.Recovering.Adopt(pending);
            }
        }
    }

    private void OnHashSlotMoved(object? sender, HashSlotMovedEventArgs moved)
    {
        // The client saw a MOVED: the cluster's view says who owns what now, with the hand-over of journals.
        RequestRefresh();
    }

    private void OnConfigurationChanged(object? sender, EndPointEventArgs changed) => RequestRefresh();

    private void RequestRefresh()
    {
        Interlocked.Exchange(ref _refreshRequested, 1);
        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }

    private void Stop()
    {
        _connection.Multiplexer.HashSlotMoved -= OnHashSlotMoved;
        _connection.Multiplexer.ConfigurationChanged -= OnConfigurationChanged;
        _stopping.Cancel();
    }

    /// <summary>Reads the cluster's view while a primary fails (often), when the client saw a move (at once), and now and then.</summary>
    /// <remarks>
    /// Paced by the wall clock, not the configured <see cref="TimeProvider"/>: it watches the network, like the client's
    /// own heartbeat, and a test's fake clock must not stop it from noticing a failover.
    /// </remarks>
    private async Task WatchAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var urgent = Volatile.Read(ref _refreshRequested) != 0 || _viewHealth is not null || !AllHealthy();
                if (!urgent)
                {
                    await _wake.WaitAsync(IdleWatch, token).ConfigureAwait(false);
                }

                // Several requests at once are one refresh; a short pause lets a burst of MOVED events pass.
                await Task.Delay(urgent ? UrgentWatch : TimeSpan.FromMilliseconds(20), token).ConfigureAwait(false);
                Interlocked.Exchange(ref _refreshRequested, 0);
                await RefreshAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The watcher must outlive anything a refresh throws; it reads the view again later.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    // A removal walks every primary the cluster lists at once, each under its own recovery (a primary that fails
    // journals its share), reading the cluster's view before and after: when the shape changed during the walk (a
    // failover, slots moved), it walks again over the new primaries. Only the cluster's ownership counts as its shape,
    // so a primary that stays down does not make it walk again; its share waits in its journal, which goes to its
    // replica if that takes over.
    private StoreOutcome<long> Walk(Func<ICacheStore, StoreOutcome<long>> remove) =>
        WalkAsync(store => new ValueTask<StoreOutcome<long>>(remove(store)), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    private async ValueTask<StoreOutcome<long>> WalkAsync(Func<ICacheStore, ValueTask<StoreOutcome<long>>> remove, CancellationToken cancellationToken)
    {
        long removed = 0;
        var started = Environment.TickCount64;
        while (true)
        {
            var before = await RefreshAsync(cancellationToken).ConfigureAwait(false);
            await _clientLearning.WaitAsync(cancellationToken).ConfigureAwait(false);
            var outcome = FanOut.Sum(await Task.WhenAll(Parts().Select(store => remove(store).AsTask())).ConfigureAwait(false));
            if (outcome.Failure is not null)
            {
                return outcome;
            }

            removed += outcome.Result;
            var after = before is null ? null : await RefreshAsync(cancellationToken).ConfigureAwait(false);
            if (before is null || after is null || (after.IsSettled && after.Shape == before.Shape) || OverBudget(started))
            {
                return removed;
            }

            await _connection.Multiplexer.ConfigureAsync().ConfigureAwait(false);
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

        _connection.RecordUnsettledWalk();
        return true;
    }

    /// <summary>One primary: its server and its recovery (over a store whose walks cover that primary only).</summary>
    internal sealed class Node(IServer server, RecoveringStore recovering)
    {
        public IServer Server { get; } = server;

        public RecoveringStore Recovering { get; } = recovering;
    }

    /// <summary>A slot map: each slot's owner and its claim's epoch, and the distinct owners.</summary>
    private sealed class Topology
    {
        public static readonly Topology Unknown = new(new EndPoint?[SlotCount], CreateEpochs());

        public Topology(EndPoint?[] owners, long[] epochs)
        {
            Owners = owners;
            Epochs = epochs;
            var primaries = new List<EndPoint>();
            foreach (var owner in owners)
            {
                if (owner is not null && !primaries.Contains(owner))
                {
                    primaries.Add(owner);
                }
            }

            Primaries = [.. primaries];
        }

        public EndPoint?[] Owners { get; }

        public long[] Epochs { get; }

        public EndPoint[] Primaries { get; }

        private static long[] CreateEpochs()
        {
            var epochs = new long[SlotCount];
            Array.Fill(epochs, -1);
            return epochs;
        }
    }
}
