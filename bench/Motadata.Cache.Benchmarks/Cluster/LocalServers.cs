using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Cluster;

/// <summary>
/// The redis-server child processes of one benchmark on loopback, no persistence: one standalone server, a
/// three-primary Redis Cluster (<c>redis-cli --cluster create</c>, ready when every node says
/// <c>cluster_state:ok</c>), or three independent servers. Knows their process ids, for CPU sampling.
/// </summary>
public sealed class LocalServers : IDisposable
{
    private readonly List<Process> _processes = [];
    private readonly List<int> _ports = [];
    private readonly string _directory;

    private LocalServers(Topology topology)
    {
        Topology = topology;
        _directory = Path.Combine(Path.GetTempPath(), "motadata-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    public Topology Topology { get; }

    /// <summary>Every server's <c>host:port</c>.</summary>
    public IReadOnlyList<string> EndPoints => _ports.Select(port => $"127.0.0.1:{port}").ToList();

    /// <summary>The redis-server process ids.</summary>
    public IReadOnlyList<int> ProcessIds => _processes.Select(process => process.Id).ToList();

    /// <summary><c>dragonfly://</c> and every endpoint.</summary>
    public string Url => "dragonfly://" + string.Join(',', EndPoints);

    public static LocalServers Start(Topology topology)
    {
        var servers = new LocalServers(topology);
        try
        {
            var count = topology == Topology.OneNode ? 1 : 3;
            for (var i = 0; i < count; i++)
            {
                servers.StartServer(cluster: topology == Topology.Cluster3);
            }

            if (topology == Topology.Cluster3)
            {
                servers.CreateCluster();
            }

            return servers;
        }
        catch
        {
            servers.Dispose();
            throw;
        }
    }

    /// <summary>Points <paramref name="config"/> at the servers (and turns sharding on for independent nodes).</summary>
    public CacheConfig Configure(CacheConfig config)
    {
        config.Backend = CacheBackend.Dragonfly;
        config.DragonflyUrl = Url;
        if (Topology == Topology.Sharded3)
        {
            config.EnableSharding = true;
            config.ShardCount = _ports.Count;
        }

        return config;
    }

    /// <summary>
    /// A plain StackExchange.Redis client: one multiplexer of all nodes for one server or a cluster (the client routes
    /// by slot); for independent nodes, one per node (<see cref="ConnectEach"/>).
    /// </summary>
    public ConnectionMultiplexer Connect() =>
        ConnectionMultiplexer.Connect($"{string.Join(',', EndPoints)},abortConnect=true,syncTimeout=5000,asyncTimeout=5000");

    /// <summary>One plain client per node.</summary>
    public ConnectionMultiplexer[] ConnectEach() =>
        [.. EndPoints.Select(endPoint => ConnectionMultiplexer.Connect($"{endPoint},abortConnect=true,syncTimeout=5000,asyncTimeout=5000"))];

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void StartServer(bool cluster)
    {
        var port = FreePort(cluster);
        var arguments = $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no --protected-mode no --loglevel warning --dir {_directory}";
        if (cluster)
        {
            arguments += $" --cluster-enabled yes --cluster-config-file nodes-{port}.conf";
        }

        var info = new ProcessStartInfo("redis-server", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start; is it installed (/usr/bin/redis-server)?");
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        _ports.Add(port);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Cli(port, "PING").Trim() != "PONG")
        {
            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                throw new InvalidOperationException($"redis-server on port {port} did not answer.");
            }

            Thread.Sleep(50);
        }
    }

    private void CreateCluster()
    {
        var create = RunCli(["--cluster", "create", .. EndPoints, "--cluster-replicas", "0", "--cluster-yes"]);
        if (create.ExitCode != 0)
        {
            throw new InvalidOperationException("redis-cli --cluster create failed: " + create.Output);
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!_ports.All(port => Cli(port, "CLUSTER", "INFO") is var info
            && info.Contains("cluster_state:ok", StringComparison.Ordinal)
            && info.Contains($"cluster_known_nodes:{_ports.Count}", StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("The cluster did not become ready.");
            }

            Thread.Sleep(50);
        }
    }

    private static string Cli(int port, params string[] command) => RunCli(["-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. command]).Output;

    private static (int ExitCode, string Output) RunCli(IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("redis-cli")
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

        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start; install redis-tools.");
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    private static int FreePort(bool withBusPort)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (!withBusPort)
            {
                return port;
            }

            if (port + 10000 > 65535)
            {
                continue;
            }

            try
            {
                using var bus = new TcpListener(IPAddress.Loopback, port + 10000);
                bus.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("No free port P with P + 10000 free.");
    }
}
