using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Motadata.Cache.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster on loopback: <c>redis-server --cluster-enabled yes</c> child processes (each a
/// <see cref="RedisServer"/>, so any one can be paused, resumed, killed and restarted), joined by
/// <c>redis-cli --cluster create</c> (three primaries and no replicas by default; <c>--cluster-replicas 1</c> for
/// failover tests), in a fresh temporary directory that holds their <c>nodes-PORT.conf</c> files and is deleted on
/// dispose. Started only when every node says <c>cluster_state:ok</c> and every replica's link to its primary is up.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory;
    private readonly List<RedisServer> _nodes;

    private readonly int _replicasPerPrimary;

    private RedisCluster(string directory, List<RedisServer> nodes, int replicasPerPrimary)
    {
        _directory = directory;
        _nodes = nodes;
        _replicasPerPrimary = replicasPerPrimary;
    }

    /// <summary>Where <c>redis-cli</c> is, or null when it is not installed.</summary>
    public static string? CliPath { get; } = RedisServer.FindExecutable("redis-cli");

    /// <summary>
    /// Every node, in the order their endpoints appear in <see cref="Url"/>: the primaries first as created, then the
    /// replicas (which become primaries on a failover: ask <see cref="RoleAsync"/>).
    /// </summary>
    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary><c>dragonfly://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3</c>.</summary>
    public string Url => "dragonfly://" + string.Join(',', _nodes.Select(node => node.EndPoint));

    /// <summary>Every node's <c>host:port</c>.</summary>
    public IReadOnlyList<string> EndPoints => _nodes.Select(node => node.EndPoint).ToList();

    /// <summary>
    /// Starts <paramref name="primaries"/> primaries (three by default) with <paramref name="replicasPerPrimary"/>
    /// replicas each, creates the cluster and waits until it is ready. <paramref name="nodeTimeoutMilliseconds"/> sets
    /// <c>cluster-node-timeout</c> (how long a silent primary takes to be declared failed and replaced by its replica).
    /// </summary>
    public static async Task<RedisCluster> StartAsync(int primaries = 3, int replicasPerPrimary = 0, int? nodeTimeoutMilliseconds = null)
    {
        if (CliPath is null)
        {
            throw new InvalidOperationException(
                "redis-cli is not installed; the cluster tests need it to create the cluster (apt-get install -y redis-tools). scripts/test installs it.");
        }

        var directory = Path.Combine(Path.GetTempPath(), "motadata-cluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var nodes = new List<RedisServer>();
        var cluster = new RedisCluster(directory, nodes, replicasPerPrimary);
        var extra = nodeTimeoutMilliseconds is { } timeout ? $"--cluster-node-timeout {timeout.ToString(CultureInfo.InvariantCulture)}" : null;
        try
        {
            for (var i = 0; i < primaries * (1 + replicasPerPrimary); i++)
            {
                nodes.Add(await RedisServer.StartClusterNodeAsync(directory, extra));
            }

            await RunCliAsync(["--cluster", "create", .. cluster.EndPoints, "--cluster-replicas", replicasPerPrimary.ToString(CultureInfo.InvariantCulture), "--cluster-yes"]);
            await cluster.WaitUntilReadyAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until every node says <c>cluster_state:ok</c>, knows every other node and agrees on who owns all 16384
    /// slots (polling, no fixed sleep); for use after a node restarts too.
    /// </summary>
    public async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        string last = string.Empty;
        while (true)
        {
            var ready = true;
            foreach (var node in _nodes)
            {
                try
                {
                    last = await node.CommandAsync("CLUSTER", "INFO");
                    if (!last.Contains("cluster_state:ok", StringComparison.Ordinal)
                        || !last.Contains($"cluster_known_nodes:{_nodes.Count}\r\n", StringComparison.Ordinal)
                        || !last.Contains("cluster_slots_ok:16384\r\n", StringComparison.Ordinal))
                    {
                        ready = false;
                        break;
                    }
                }
                catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or TimeoutException)
                {
                    ready = false;
                    break;
                }
            }

            if (ready && _replicasPerPrimary > 0)
            {
                ready = await ReplicasLinkedAsync(Enumerable.Range(0, _nodes.Count));
                last = "(a replica's link to its primary is not up yet)";
            }

            if (ready)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The cluster was not ready after {ReadyTimeout.TotalSeconds} s; last CLUSTER INFO: {last}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Node <paramref name="index"/>'s own word on its role: <c>master</c> or <c>slave</c> (<c>ROLE</c>).</summary>
    public async Task<string> RoleAsync(int index)
    {
        var lines = (await _nodes[index].CommandAsync("ROLE")).Split("\r\n");
        return lines.Length > 2 ? lines[2] : throw new InvalidOperationException($"Unexpected ROLE reply: {string.Join(' ', lines)}");
    }

    /// <summary>The index of the node that replicates primary <paramref name="primary"/> (from its <c>CLUSTER NODES</c>).</summary>
    public async Task<int> ReplicaOfAsync(int primary)
    {
        var id = await NodeIdAsync(primary);
        foreach (var line in ParseBulk(await _nodes[primary].CommandAsync("CLUSTER", "NODES")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length > 3 && fields[2].Contains("slave", StringComparison.Ordinal) && fields[3] == id)
            {
                return IndexOf(fields[1]);
            }
        }

        throw new InvalidOperationException($"Node {primary} ({_nodes[primary].EndPoint}) has no replica.");
    }

    /// <summary>The index of the node that owns hash slot <paramref name="slot"/>, as node <paramref name="askedOf"/> sees it.</summary>
    public async Task<int> OwnerOfSlotAsync(int slot, int askedOf)
    {
        foreach (var line in ParseBulk(await _nodes[askedOf].CommandAsync("CLUSTER", "NODES")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length < 9 || !fields[2].Contains("master", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var range in fields[8..])
            {
                if (range.StartsWith('['))
                {
                    continue;
                }

                var dash = range.IndexOf('-', StringComparison.Ordinal);
                var from = int.Parse(dash < 0 ? range : range[..dash], CultureInfo.InvariantCulture);
                var to = dash < 0 ? from : int.Parse(range[(dash + 1)..], CultureInfo.InvariantCulture);
                if (slot >= from && slot <= to)
                {
                    return IndexOf(fields[1]);
                }
            }
        }

        throw new InvalidOperationException($"Node {askedOf} knows no owner of slot {slot}.");
    }

    /// <summary>
    /// Waits (polling, no fixed sleep) until node <paramref name="replica"/> is a primary and every node but
    /// <paramref name="down"/> agrees that every slot is served (<c>cluster_slots_ok:16384</c>, and the new primary
    /// listed as one by all): the replica of a killed primary has taken over. Returns how long it waited.
    /// </summary>
    public async Task<TimeSpan> WaitForPromotionAsync(int replica, IReadOnlyCollection<int> down)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var deadline = DateTime.UtcNow + ReadyTimeout;
        var id = await NodeIdAsync(replica);
        var last = string.Empty;
        while (true)
        {
            var promoted = await RoleAsync(replica) == "master";
            for (var i = 0; promoted && i < _nodes.Count; i++)
            {
                if (down.Contains(i))
                {
                    continue;
                }

                try
                {
                    last = await _nodes[i].CommandAsync("CLUSTER", "INFO");
                    var nodes = ParseBulk(await _nodes[i].CommandAsync("CLUSTER", "NODES"));
                    promoted = last.Contains("cluster_slots_ok:16384\r\n", StringComparison.Ordinal)
                        && nodes.Split('\n').Any(line => line.StartsWith(id, StringComparison.Ordinal) && line.Split(' ')[2].Contains("master", StringComparison.Ordinal));
                }
                catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or TimeoutException)
                {
                    promoted = false;
                }
            }

            if (promoted)
            {
                return started.Elapsed;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Node {replica} was not promoted after {ReadyTimeout.TotalSeconds} s; last CLUSTER INFO: {last}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Asks replica <paramref name="replica"/> to take over from its primary (<c>CLUSTER FAILOVER</c>, the graceful
    /// one: the primary stops taking writes until the replica has them all) and waits until the roles have swapped.
    /// </summary>
    public async Task<TimeSpan> FailoverAsync(int replica)
    {
        var reply = await _nodes[replica].CommandAsync("CLUSTER", "FAILOVER");
        if (!reply.StartsWith("+OK", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"CLUSTER FAILOVER on node {replica} answered {reply}");
        }

        return await WaitForPromotionAsync(replica, []);
    }

    /// <summary>
    /// Waits until node <paramref name="index"/> (restarted after a failover) is a replica whose link to its primary is
    /// up, and the cluster is ready again.
    /// </summary>
    public async Task WaitUntilReplicaAsync(int index)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (!(await RoleAsync(index) == "slave" && await ReplicasLinkedAsync([index])))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Node {index} did not become a linked replica after {ReadyTimeout.TotalSeconds} s.");
            }

            await Task.Delay(50);
        }

        await WaitUntilReadyAsync();
    }

    /// <summary>
    /// Waits until every replica has every write its primary took (replication offsets equal), so a failover that
    /// follows loses nothing written before it.
    /// </summary>
    public async Task WaitForReplicationAsync(IReadOnlyCollection<int>? down = null)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            var offsets = new Dictionary<int, long>();
            var caughtUp = true;
            for (var i = 0; i < _nodes.Count; i++)
            {
                if (down?.Contains(i) == true)
                {
                    continue;
                }

                var info = await _nodes[i].CommandAsync("INFO", "replication");
                if (Field(info, "role") == "master")
                {
                    offsets[_nodes[i].Port] = long.Parse(Field(info, "master_repl_offset")!, CultureInfo.InvariantCulture);
                }
            }

            for (var i = 0; i < _nodes.Count; i++)
            {
                if (down?.Contains(i) == true)
                {
                    continue;
                }

                var info = await _nodes[i].CommandAsync("INFO", "replication");
                if (Field(info, "role") == "slave"
                    && (Field(info, "master_link_status") != "up"
                        || !offsets.TryGetValue(int.Parse(Field(info, "master_port")!, CultureInfo.InvariantCulture), out var primaryOffset)
                        || long.Parse(Field(info, "slave_repl_offset")!, CultureInfo.InvariantCulture) < primaryOffset))
                {
                    caughtUp = false;
                }
            }

            if (caughtUp)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The replicas did not catch up with their primaries after {ReadyTimeout.TotalSeconds} s.");
            }

            await Task.Delay(20);
        }
    }

    private async Task<bool> ReplicasLinkedAsync(IEnumerable<int> indexes)
    {
        foreach (var i in indexes)
        {
            var info = await _nodes[i].CommandAsync("INFO", "replication");
            if (Field(info, "role") == "slave" && Field(info, "master_link_status") != "up")
            {
                return false;
            }
        }

        return true;
    }

    private static string? Field(string info, string name)
    {
        foreach (var line in info.Split("\r\n"))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                return line[(name.Length + 1)..];
            }
        }

        return null;
    }

    private int IndexOf(string address)
    {
        var endPoint = address.Split('@')[0];
        var index = _nodes.FindIndex(node => node.EndPoint == endPoint);
        return index >= 0 ? index : throw new InvalidOperationException($"{address} is not a node of this cluster.");
    }

    /// <summary>The cluster id of node <paramref name="index"/> (<c>CLUSTER MYID</c>).</summary>
    public async Task<string> NodeIdAsync(int index) => ParseBulk(await _nodes[index].CommandAsync("CLUSTER", "MYID"));

    /// <summary>How many keys node <paramref name="index"/> holds (<c>DBSIZE</c>), whatever their prefix.</summary>
    public async Task<long> DbSizeAsync(int index) => ParseInteger(await _nodes[index].CommandAsync("DBSIZE"));

    /// <summary>How many slots node <paramref name="index"/> serves, from its own <c>CLUSTER NODES</c> line.</summary>
    public async Task<int> SlotCountAsync(int index)
    {
        var nodes = ParseBulk(await _nodes[index].CommandAsync("CLUSTER", "NODES"));
        var line = nodes.Split('\n').Single(l => l.Contains("myself", StringComparison.Ordinal));
        var count = 0;
        foreach (var part in line.Split(' ').Skip(8))
        {
            if (part.StartsWith('['))
            {
                continue; // A slot being imported or migrated.
            }

            var dash = part.IndexOf('-', StringComparison.Ordinal);
            count += dash < 0
                ? 1
                : int.Parse(part.AsSpan(dash + 1), CultureInfo.InvariantCulture) - int.Parse(part.AsSpan(0, dash), CultureInfo.InvariantCulture) + 1;
        }

        return count;
    }

    /// <summary>
    /// Moves <paramref name="slots"/> slots from the nodes <paramref name="from"/> to node <paramref name="to"/> with
    /// <c>redis-cli --cluster reshard</c>, keys and all; the task ends when redis-cli does (a test can run load meanwhile).
    /// </summary>
    public async Task ReshardAsync(IReadOnlyList<int> from, int to, int slots)
    {
        var fromIds = new List<string>();
        foreach (var index in from)
        {
            fromIds.Add(await NodeIdAsync(index));
        }

        await RunCliAsync(
        [
            "--cluster", "reshard", _nodes[to].EndPoint,
            "--cluster-from", string.Join(',', fromIds),
            "--cluster-to", await NodeIdAsync(to),
            "--cluster-slots", slots.ToString(CultureInfo.InvariantCulture),
            "--cluster-yes",
        ]);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp dir left behind harms nothing.
        }
    }

    /// <summary>Runs <c>redis-cli</c> with <paramref name="arguments"/>; throws with its output when it fails.</summary>
    public static async Task<string> RunCliAsync(IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(CliPath ?? throw new InvalidOperationException("redis-cli is not installed (apt-get install -y redis-tools)."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output + await error;

        // redis-cli --cluster reports some failures with [ERR] and exit code 0.
        if (process.ExitCode != 0 || text.Contains("[ERR]", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} failed (exit code {process.ExitCode}):{Environment.NewLine}{text}");
        }

        return text;
    }

    private static string ParseBulk(string reply)
    {
        if (!reply.StartsWith('$') && !reply.StartsWith('+'))
        {
            throw new InvalidOperationException($"Expected a string reply, got: {reply}");
        }

        if (reply[0] == '+')
        {
            return reply[1..].TrimEnd('\r', '\n');
        }

        var lineEnd = reply.IndexOf("\r\n", StringComparison.Ordinal);
        var length = int.Parse(reply.AsSpan(1, lineEnd - 1), CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes(reply[(lineEnd + 2)..]);
        return Encoding.UTF8.GetString(bytes, 0, Math.Min(length, bytes.Length));
    }

    private static long ParseInteger(string reply) =>
        reply.StartsWith(':')
            ? long.Parse(reply.AsSpan(1).TrimEnd("\r\n"), CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"Expected an integer reply, got: {reply}");
}
