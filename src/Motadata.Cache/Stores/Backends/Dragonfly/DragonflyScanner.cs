using System.Diagnostics;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Backends.Dragonfly;

/// <summary>
/// Walks the keyspace for invalidation, clearing and usage: <c>SCAN cursor MATCH ... COUNT 4096</c> to the end on
/// every primary at once (one node, or every primary of a Redis Cluster; never <c>KEYS</c>, never <c>FLUSH</c>),
/// keeps the keys a <see cref="ScanSelection"/> takes, and pipelines one <c>UNLINK</c> per page (per hash slot on a
/// cluster, where a multi-key command must stay in one slot) while the next page is fetched, or one
/// <c>MEMORY USAGE</c> per key found.
/// </summary>
/// <remarks>
/// <para>
/// What one tenant's walk may cost the others (a walk visits the whole keyspace, whatever the tenant holds: Redis has
/// no index by prefix): walks of one client run one at a time (<see cref="DragonflyConnection.WalkGate"/>); a page
/// asks for <see cref="ScanPageSize"/> slots, about 0.7 ms of server time with a million keys, the longest any other
/// command waits behind it; and between pages the walk pauses as long as the page took, so walks take at most about
/// half of the server's time. Measured in docs/benchmarks.md (issue 21, N6).
/// </para>
/// <para>
/// On a cluster the walk visits the primaries in rounds: one <c>SCAN</c> page of every primary still walking is
/// asked for at once, so the nodes work in parallel. A slot that moves while a removal walks (resharding, failover)
/// can carry a key from a node not yet walked to one already walked; so a removal reads the cluster's shape
/// (<c>CLUSTER NODES</c> of every primary: slot owners, epochs, slots being migrated) before and after its walk and
/// walks again, after refreshing the client's view of the cluster, until a walk begins and ends on the same shape
/// with no slot in migration, or <see cref="TopologyBudget"/> has passed (then the last walk stands, and a warning is
/// logged).
/// </para>
/// </remarks>
internal sealed class DragonflyScanner
{
    /// <summary>How long a removal keeps walking again while the cluster's slots keep moving.</summary>
    internal static readonly TimeSpan TopologyBudget = TimeSpan.FromSeconds(30);

    /// <summary>The <c>COUNT</c> of a <c>SCAN</c> page: small, so no other command waits long behind one page.</summary>
    internal const int ScanPageSize = 1024;

    /// <summary>How many <c>MEMORY USAGE</c> calls are sent at once.</summary>
    private const int MemoryUsageBatch = 4096;

    private readonly DragonflyConnection _connection;
    private readonly IDatabase _database;
    private readonly IServer? _only;

    /// <param name="connection">The client.</param>
    /// <param name="only">
    /// One node to walk (a cluster primary under its own recovery, see <c>ClusterStore</c>), walked
    /// once: the caller walks again when the cluster's shape changed. Null for every primary, with the re-walks.
    /// </param>
    public DragonflyScanner(DragonflyConnection connection, IServer? only = null)
    {
        _connection = connection;
        _database = connection.Database;
        _only = only;
    }

    /// <summary>Removes every selected key; returns how many the server removed.</summary>
    public long Unlink(ScanSelection selection) => Wait(UnlinkCoreAsync(selection, synchronous: true, CancellationToken.None));

    /// <inheritdoc cref="Unlink"/>
    public ValueTask<long> UnlinkAsync(ScanSelection selection, CancellationToken cancellationToken) =>
        UnlinkCoreAsync(selection, synchronous: false, cancellationToken);

    /// <summary>How many selected keys there are (each counted once) and the bytes the server holds for them, per node and in all.</summary>
    public StoreUsage Usage(ScanSelection selection) => Wait(UsageCoreAsync(selection, synchronous: true, CancellationToken.None));

    /// <inheritdoc cref="Usage"/>
    public ValueTask<StoreUsage> UsageAsync(ScanSelection selection, CancellationToken cancellationToken) =>
        UsageCoreAsync(selection, synchronous: false, cancellationToken);

    // The synchronous twins run the same code with every wait blocking (Task.WaitAll on the client's tasks, as the
    // client's own synchronous API does), so the ValueTask is complete when it returns: no thread waits on a
    // continuation.
    private static T Wait<T>(ValueTask<T> pending)
    {
        if (!pending.IsCompleted)
        {
            throw new InvalidOperationException("A synchronous scan left a wait pending.");
        }

        return pending.GetAwaiter().GetResult();
    }

    private static async ValueTask WhenAll(IReadOnlyList<Task> tasks, bool synchronous, CancellationToken cancellationToken)
    {
        if (tasks.Count == 0)
        {
            return;
        }

        if (synchronous)
        {
            Task.WaitAll(tasks as Task[] ?? [.. tasks], cancellationToken);
        }
        else
        {
            await DragonflyConnection.WaitAsync(Task.WhenAll(tasks), cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<long> UnlinkCoreAsync(ScanSelection selection, bool synchronous, CancellationToken cancellationToken)
    {
        await EnterAsync(synchronous, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsurePrimaryAsync(synchronous, cancellationToken).ConfigureAwait(false);
            long removed = 0;
            var started = Environment.TickCount64;
            while (true)
            {
                var primaries = Nodes();
                var cluster = DragonflyConnection.IsCluster(primaries);
                var before = cluster && _only is null ? await ClusterShapeAsync(primaries, synchronous, cancellationToken).ConfigureAwait(false) : null;
                removed += await UnlinkPassAsync(primaries, cluster, selection, synchronous, cancellationToken).ConfigureAwait(false);
                if (before is null)
                {
                    return removed;
                }

                var after = await ClusterShapeAsync(_connection.Primaries(), synchronous, cancellationToken).ConfigureAwait(false);
                if (after.IsSettled && after.Equals(before))
                {
                    return removed;
                }

                if (Environment.TickCount64 - started > TopologyBudget.TotalMilliseconds)
                {
                    _connection.RecordUnsettledWalk();
                    return removed;
                }

                // Slots moved (or are moving) under the walk: learn the new shape, then walk again.
                if (synchronous)
                {
                    _connection.Multiplexer.Configure();
                    Thread.Sleep(20);
                }
                else
                {
                    await _connection.Multiplexer.ConfigureAsync().ConfigureAwait(false);
                    await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SCAN/UNLINK", exception);
        }
        finally
        {
            _connection.WalkGate.Release();
        }
    }

    /// <summary>Waits for this client's turn to walk (see <see cref="DragonflyConnection.WalkGate"/>).</summary>
    private async ValueTask EnterAsync(bool synchronous, CancellationToken cancellationToken)
    {
        if (synchronous)
        {
            _connection.WalkGate.Wait(cancellationToken);
        }
        else
        {
            await _connection.WalkGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Between two pages of a walk that goes on: a pause as long as the page took (measured from
    /// <paramref name="pageStarted"/>), so a walk leaves the server at least half its time for other commands.
    /// </summary>
    private static async ValueTask PauseAsync(long pageStarted, bool synchronous, CancellationToken cancellationToken)
    {
        var took = Stopwatch.GetElapsedTime(pageStarted);
        if (took <= TimeSpan.Zero)
        {
            return;
        }

        if (synchronous)
        {
            Thread.Sleep(took);
        }
        else
        {
            await Task.Delay(took, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Walks <paramref name="walks"/> in rounds: one <c>SCAN</c> page of every node still walking, then
    /// <paramref name="onPage"/> with each node's page, then a pause (<see cref="PauseAsync"/>) while any walk goes on.
    /// A node leaves <paramref name="walks"/> when its cursor comes back to 0.
    /// </summary>
    private async ValueTask WalkAsync(List<NodeWalk> walks, ScanSelection selection, bool synchronous, Action<NodeWalk, RedisKey[]> onPage, CancellationToken cancellationToken)
    {
        var pages = new List<Task<RedisResult>>(walks.Count);
        while (walks.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            pages.Clear();
            var pageStarted = Stopwatch.GetTimestamp();
            foreach (var walk in walks)
            {
                pages.Add(Scan(walk, selection));
            }

            await WhenAll(pages, synchronous, cancellationToken).ConfigureAwait(false);
            for (var i = walks.Count - 1; i >= 0; i--)
            {
                var page = ParseScan(pages[i].Result);
                walks[i].Cursor = page.Cursor;
                onPage(walks[i], page.Keys);
                if (page.Cursor == "0")
                {
                    walks.RemoveAt(i);
                }
            }

            if (walks.Count > 0)
            {
                await PauseAsync(pageStarted, synchronous, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One walk of every primary, in rounds; returns what the <c>UNLINK</c>s removed.</summary>
    private async ValueTask<long> UnlinkPassAsync(IReadOnlyList<IServer> primaries, bool cluster, ScanSelection selection, bool synchronous, CancellationToken cancellationToken)
    {
        var unlinks = new List<Task<RedisResult>>();
        await WalkAsync(
            NodeWalk.Start(primaries),
            selection,
            synchronous,
            (_, keys) =>
            {
                var selected = Select(selection, keys);
                if (selected.Length > 0)
                {
                    // Sent without waiting, so the next SCAN page is fetched while the server unlinks this one.
                    SendUnlinks(selected, cluster, unlinks);
                }
            },
            cancellationToken).ConfigureAwait(false);

        await WhenAll(unlinks, synchronous, cancellationToken).ConfigureAwait(false);
        long removed = 0;
        foreach (var task in unlinks)
        {
            removed += (long)task.Result;
        }

        return removed;
    }

    private void SendUnlinks(RedisKey[] keys, bool cluster, List<Task<RedisResult>> unlinks)
    {
        if (!cluster)
        {
            unlinks.Add(_database.ExecuteAsync("UNLINK", ToArguments(keys), CommandFlags.None));
            return;
        }

        // A multi-key command must name keys of one slot; the client sends each to the slot's primary (and follows
        // MOVED and ASK if the slot is moving).
        var multiplexer = _connection.Multiplexer;
        foreach (var group in keys.GroupBy(multiplexer.HashSlot))
        {
            unlinks.Add(_database.ExecuteAsync("UNLINK", ToArguments([.. group]), CommandFlags.None));
        }
    }

    private async ValueTask<StoreUsage> UsageCoreAsync(ScanSelection selection, bool synchronous, CancellationToken cancellationToken)
    {
        await EnterAsync(synchronous, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsurePrimaryAsync(synchronous, cancellationToken).ConfigureAwait(false);
            var primaries = Nodes();
            var walks = NodeWalk.Start(primaries);
            var byNode = walks.ToDictionary(static walk => walk, static _ => new List<RedisKey>());
            var seen = new HashSet<RedisKey>();
            await WalkAsync(
                [.. walks],
                selection,
                synchronous,
                (walk, keys) =>
                {
                    foreach (var key in Select(selection, keys))
                    {
                        // A key met on two nodes (its slot moved during the walk) is counted once, on the first.
                        if (seen.Add(key))
                        {
                            byNode[walk].Add(key);
                        }
                    }
                },
                cancellationToken).ConfigureAwait(false);

            var nodes = new NodeUsage[walks.Count];
            long totalBytes = 0;
            for (var i = 0; i < walks.Count; i++)
            {
                var keys = byNode[walks[i]];
                var bytes = await MemoryUsageAsync(keys, synchronous, cancellationToken).ConfigureAwait(false);
                nodes[i] = new NodeUsage(walks[i].Name, keys.Count, bytes);
                totalBytes += bytes;
            }

            return new StoreUsage(seen.Count, totalBytes, nodes);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SCAN/MEMORY USAGE", exception);
        }
        finally
        {
            _connection.WalkGate.Release();
        }
    }

    /// <summary>
    /// Every namespace's entries and bytes in one walk of the whole keyspace (the cost of one tenant's
    /// <see cref="UsageAsync"/>, whatever the number of tenants): keys are counted by the namespace their name
    /// carries, for <paramref name="tenants"/> only (the global namespace always), and bytes are estimated from
    /// <c>MEMORY USAGE</c> of up to <paramref name="sampledKeysPerTenant"/> keys per namespace times its count. For
    /// <c>/metrics</c>, where one walk per tenant would cost the server a walk per tenant per refresh.
    /// </summary>
    public async ValueTask<Dictionary<string, StoreUsage>> UsageByTenantAsync(
        string keyPrefix, TenantPlacement placement, IReadOnlySet<string> tenants, int sampledKeysPerTenant, CancellationToken cancellationToken)
    {
        var selection = ScanSelection.Everything(keyPrefix, placement);
        var prefixBytes = System.Text.Encoding.UTF8.GetByteCount(keyPrefix);
        var counts = new Dictionary<string, (long Count, List<RedisKey> Sample)>(StringComparer.Ordinal);
        await EnterAsync(synchronous: false, cancellationToken).ConfigureAwait(false);
        try
        {
            await WalkAsync(
                NodeWalk.Start(Nodes()),
                selection,
                synchronous: false,
                (_, keys) =>
                {
                    foreach (var key in keys)
                    {
                        var bytes = (byte[])key!;
                        if (!selection.Selects(bytes) || !DragonflyKeys.TryGetTenant(bytes.AsSpan(prefixBytes), placement, out var tenant))
                        {
                            continue;
                        }

                        // The global namespace under the empty string: no tenant id is empty.
                        var name = tenant ?? string.Empty;
                        if (tenant is not null && !tenants.Contains(tenant))
                        {
                            continue;
                        }

                        ref var entry = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, name, out var existed);
                        if (!existed)
                        {
                            entry.Sample = [];
                        }

                        entry.Count++;
                        if (entry.Sample.Count < sampledKeysPerTenant)
                        {
                            entry.Sample.Add(key);
                        }
                    }
                },
                cancellationToken).ConfigureAwait(false);

            var usage = new Dictionary<string, StoreUsage>(counts.Count, StringComparer.Ordinal);
            foreach (var (name, (count, sample)) in counts)
            {
                var sampled = await MemoryUsageAsync(sample, synchronous: false, cancellationToken).ConfigureAwait(false);
                usage[name] = new StoreUsage(count, sample.Count == 0 ? 0 : sampled * count / sample.Count);
            }

            return usage;
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SCAN/MEMORY USAGE", exception);
        }
        finally
        {
            _connection.WalkGate.Release();
        }
    }

    private async ValueTask<long> MemoryUsageAsync(List<RedisKey> keys, bool synchronous, CancellationToken cancellationToken)
    {
        long bytes = 0;
        var pending = new List<Task<RedisResult>>(Math.Min(keys.Count, MemoryUsageBatch));
        var batchStarted = Stopwatch.GetTimestamp();
        for (var i = 0; i < keys.Count; i++)
        {
            pending.Add(_database.ExecuteAsync("MEMORY", "USAGE", keys[i]));
            if (pending.Count == MemoryUsageBatch || i == keys.Count - 1)
            {
                await WhenAll(pending, synchronous, cancellationToken).ConfigureAwait(false);
                foreach (var task in pending)
                {
                    bytes += task.Result.IsNull ? 0 : (long)task.Result;
                }

                pending.Clear();
                if (i < keys.Count - 1)
                {
                    // Paced as the walk's pages are: a tenant with a million keys measures them at half the server's time.
                    await PauseAsync(batchStarted, synchronous, cancellationToken).ConfigureAwait(false);
                    batchStarted = Stopwatch.GetTimestamp();
                }
            }
        }

        return bytes;
    }

    /// <summary>
    /// The one node a cluster primary's walk covers must still be a primary (<c>ROLE</c>): a primary that died and came
    /// back as a replica holds its new primary's keys, and a walk of it would remove them (its <c>UNLINK</c>s are routed
    /// to the new primary). It fails instead, and its removals go to the new primary (see <c>ClusterStore</c>).
    /// </summary>
    private async ValueTask EnsurePrimaryAsync(bool synchronous, CancellationToken cancellationToken)
    {
        if (_only is not { } node)
        {
            return;
        }

        var reply = node.ExecuteAsync(_database.Database, "ROLE", [], CommandFlags.None);
        await WhenAll([reply], synchronous, cancellationToken).ConfigureAwait(false);
        var role = reply.Result.Resp2Type == ResultType.Array && ((RedisResult[])reply.Result!) is [var first, ..] ? (string?)first : null;
        if (role != "master")
        {
            throw new RedisException($"{DragonflyConnection.Describe(node.EndPoint)} is no longer a primary (ROLE: {role ?? "?"}).");
        }
    }

    private IReadOnlyList<IServer> Nodes() => _only is null ? _connection.Primaries() : [_only];

    private Task<RedisResult> Scan(NodeWalk walk, ScanSelection selection) =>
        walk.Server.ExecuteAsync(_database.Database, "SCAN", [walk.Cursor, "MATCH", selection.ServerPattern, "COUNT", ScanPageSize], CommandFlags.None);

    /// <summary>
    /// The shape of the cluster as its primaries see it: every line of every primary's <c>CLUSTER NODES</c> without
    /// the fields that change on their own (ping and pong times, link state), sorted. Slots being migrated show in
    /// a node's own line as <c>[slot-&gt;-id]</c> or <c>[slot-&lt;-id]</c>.
    /// </summary>
    internal static async ValueTask<ClusterShape> ClusterShapeAsync(IReadOnlyList<IServer> primaries, bool synchronous, CancellationToken cancellationToken)
    {
        var replies = new Task<RedisResult>[primaries.Count];
        for (var i = 0; i < primaries.Count; i++)
        {
            replies[i] = primaries[i].ExecuteAsync(null, "CLUSTER", ["NODES"], CommandFlags.None);
        }

        await WhenAll(replies, synchronous, cancellationToken).ConfigureAwait(false);
        var lines = new List<string>();
        foreach (var reply in replies)
        {
            foreach (var line in ((string?)reply.Result ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var fields = line.Split(' ');
                if (fields.Length < 8)
                {
                    continue;
                }

                // id, address, flags (without "myself", which differs by who answers), primary, config epoch, slots.
                var flags = string.Join(',', fields[2].Split(',').Where(static flag => flag != "myself"));
                lines.Add(string.Join(' ', [fields[0], fields[1], flags, fields[3], fields[6], .. fields[8..]]));
            }
        }

        lines.Sort(StringComparer.Ordinal);
        var text = string.Join('\n', lines);
        return new ClusterShape(text, !text.Contains("->-", StringComparison.Ordinal) && !text.Contains("-<-", StringComparison.Ordinal));
    }

    private static (string Cursor, RedisKey[] Keys) ParseScan(RedisResult reply)
    {
        var parts = (RedisResult[])reply!;
        return ((string)parts[0]!, (RedisKey[])parts[1]!);
    }

    /// <summary>The keys of a page that <paramref name="selection"/> takes (the page itself when it takes all).</summary>
    private static RedisKey[] Select(ScanSelection selection, RedisKey[] keys)
    {
        if (selection.SelectsEveryMatch)
        {
            return keys;
        }

        var selected = new List<RedisKey>(keys.Length);
        foreach (var key in keys)
        {
            if (selection.Selects((byte[])key!))
            {
                selected.Add(key);
            }
        }

        return [.. selected];
    }

    private static object[] ToArguments(RedisKey[] keys)
    {
        var arguments = new object[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            arguments[i] = keys[i];
        }

        return arguments;
    }

    /// <summary>One primary's walk: where its cursor stands.</summary>
    private sealed class NodeWalk(IServer server)
    {
        public IServer Server { get; } = server;

        public string Name { get; } = DragonflyConnection.Describe(server.EndPoint);

        public string Cursor { get; set; } = "0";

        public static List<NodeWalk> Start(IReadOnlyList<IServer> primaries) => [.. primaries.Select(static server => new NodeWalk(server))];
    }

    /// <summary>A cluster's shape (<see cref="ClusterShapeAsync"/>); settled when no slot is being migrated.</summary>
    internal sealed record ClusterShape(string Nodes, bool IsSettled);
}
