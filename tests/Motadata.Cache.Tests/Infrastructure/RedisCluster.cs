using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Motadata.Cache.Tests.Infrastructure;

/// <summary>
/// A real three-primary Redis Cluster on loopback: three <c>redis-server --cluster-enabled yes</c> child processes
/// (each a <see cref="RedisServer"/>, so any one can be paused, resumed, killed and restarted), joined by
/// <c>redis-cli --cluster create</c> with no replicas, in a fresh temporary directory that holds their
/// <c>nodes-PORT.conf</c> files and is deleted on dispose. Started only when every node says <c>cluster_state:ok</c>.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory;
    private readonly List<RedisServer> _nodes;

    private RedisCluster(string directory, List<RedisServer> nodes)
    {
        _directory = directory;
        _nodes = nodes;
    }

    /// <summary>Where <c>redis-cli</c> is, or null when it is not installed.</summary>
    public static string? CliPath { get; } = RedisServer.FindExecutable("redis-cli");

    /// <summary>The primaries, in the order their endpoints appear in <see cref="Url"/>.</summary>
    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary><c>dragonfly://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3</c>.</summary>
    public string Url => "dragonfly://" + string.Join(',', _nodes.Select(node => node.EndPoint));

    /// <summary>Every node's <c>host:port</c>.</summary>
    public IReadOnlyList<string> EndPoints => _nodes.Select(node => node.EndPoint).ToList();

    /// <summary>Starts <paramref name="primaries"/> nodes (three by default), creates the cluster and waits until it is ready.</summary>
    public static async Task<RedisCluster> StartAsync(int primaries = 3)
    {
        if (CliPath is null)
        {
            throw new InvalidOperationException(
                "redis-cli is not installed; the cluster tests need it to create the cluster (apt-get install -y redis-tools). scripts/test installs it.");
        }

        var directory = Path.Combine(Path.GetTempPath(), "motadata-cluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var nodes = new List<RedisServer>();
        var cluster = new RedisCluster(directory, nodes);
        try
        {
            for (var i = 0; i < primaries; i++)
            {
                nodes.Add(await RedisServer.StartClusterNodeAsync(directory));
            }

            await RunCliAsync(["--cluster", "create", .. cluster.EndPoints, "--cluster-replicas", "0", "--cluster-yes"]);
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
