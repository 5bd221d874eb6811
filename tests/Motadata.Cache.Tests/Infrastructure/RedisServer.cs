using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Motadata.Cache.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> child process on a free loopback port, standing in for Dragonfly (same protocol). It
/// can be paused (<c>kill -STOP</c>), resumed, killed and restarted on the same port (empty, as after a crash).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    public string Url => $"dragonfly://127.0.0.1:{Port}";

    public string EndPoint => $"127.0.0.1:{Port}";

    public bool IsPaused { get; private set; }

    /// <summary>Where <c>redis-server</c> is, or null when it is not installed.</summary>
    public static string? ExecutablePath { get; } = FindExecutable();

    /// <summary>The process id while running, for sampling its CPU.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    public static async Task<RedisServer> StartAsync(string? password = null, string? extraArguments = null)
    {
        if (ExecutablePath is null)
        {
            throw new InvalidOperationException(
                "redis-server is not installed; the Dragonfly tests need it (apt-get install -y redis-server). scripts/test installs it.");
        }

        var server = new RedisServer(FreePort()) { Password = password, ExtraArguments = extraArguments };
        await server.StartProcessAsync();
        return server;
    }

    public string? Password { get; private init; }

    /// <summary>More <c>redis-server</c> options, such as <c>--rename-command UNLINK ""</c> to make a command fail.</summary>
    public string? ExtraArguments { get; private init; }

    /// <summary>
    /// A Redis Cluster node (<c>--cluster-enabled yes</c>) on a free port whose cluster bus port (port + 10000) is free
    /// too, keeping its <c>nodes-PORT.conf</c> in <paramref name="directory"/>, so a restart on the same port rejoins the
    /// cluster as the same node (empty: nothing is persisted). It serves its slots while another primary is down
    /// (<c>cluster-require-full-coverage no</c>), so a paused node costs only its own share of the keys.
    /// </summary>
    /// <param name="directory">Where the node keeps its <c>nodes-PORT.conf</c>.</param>
    /// <param name="extraArguments">More options, such as <c>--cluster-node-timeout 2000</c>.</param>
    public static async Task<RedisServer> StartClusterNodeAsync(string directory, string? extraArguments = null)
    {
        if (ExecutablePath is null)
        {
            throw new InvalidOperationException(
                "redis-server is not installed; the cluster tests need it (apt-get install -y redis-server). scripts/test installs it.");
        }

        var port = FreePortWithFreeBusPort();
        var server = new RedisServer(port)
        {
            ExtraArguments =
                $"--cluster-enabled yes --cluster-config-file nodes-{port}.conf --dir {directory} --cluster-require-full-coverage no"
                + (extraArguments is null ? string.Empty : " " + extraArguments),
        };
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>
    /// A server on a free port that is not running yet, for tests of a server that is down when the cache is built:
    /// <see cref="RestartAsync"/> starts it.
    /// </summary>
    public static RedisServer Reserve(string? password = null) =>
        ExecutablePath is null
            ? throw new InvalidOperationException("redis-server is not installed; the Dragonfly tests need it (apt-get install -y redis-server).")
            : new RedisServer(FreePort()) { Password = password };

    /// <summary>Freezes the process (SIGSTOP): connections stay open, nothing answers, like a partition.</summary>
    public void Pause()
    {
        Signal("STOP");
        IsPaused = true;
    }

    /// <summary>Thaws a paused process (SIGCONT).</summary>
    public void Resume()
    {
        Signal("CONT");
        IsPaused = false;
    }

    /// <summary>Kills the process (SIGKILL): its data is lost.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            if (IsPaused)
            {
                Resume();
            }

            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts a new, empty server on the same port.</summary>
    public Task RestartAsync() => StartProcessAsync();

    /// <summary>Sends one command (RESP) on a fresh connection and returns the raw reply, for inspecting the server directly.</summary>
    public async Task<string> CommandAsync(params string[] args)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        if (Password is not null)
        {
            await WriteCommandAsync(stream, ["AUTH", Password]);
            await ReadReplyAsync(stream);
        }

        await WriteCommandAsync(stream, args);
        return await ReadReplyAsync(stream);
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private async Task StartProcessAsync()
    {
        var arguments = $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no --protected-mode no --loglevel warning --enable-debug-command yes";
        if (Password is not null)
        {
            arguments += $" --requirepass {Password}";
        }

        if (ExtraArguments is not null)
        {
            arguments += " " + ExtraArguments;
        }

        var info = new ProcessStartInfo(ExecutablePath!, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        IsPaused = false;

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                var reply = await CommandAsync("PING");
                if (reply.StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} on port {Port}.");
            }

            await Task.Delay(20);
        }
    }

    private void Signal(string signal)
    {
        if (_process is null)
        {
            throw new InvalidOperationException("The server is not running.");
        }

        using var kill = Process.Start("kill", $"-{signal} {_process.Id}");
        kill.WaitForExit();
    }

    private static async Task WriteCommandAsync(Stream stream, string[] args)
    {
        var builder = new StringBuilder();
        builder.Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args)
        {
            builder.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(builder.ToString()));
    }

    private static async Task<string> ReadReplyAsync(Stream stream)
    {
        // Enough for the simple replies tests read: one read of whatever arrives first.
        var buffer = new byte[64 * 1024];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int FreePortWithFreeBusPort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = FreePort();
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
                // The bus port is taken: try another.
            }
        }

        throw new InvalidOperationException("Found no free loopback port P with P + 10000 free too (the cluster bus port).");
    }

    /// <summary>Where <paramref name="name"/> is on the PATH (or /usr/bin, /usr/local/bin), or null.</summary>
    internal static string? FindExecutable(string name = "redis-server")
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Append("/usr/bin").Append("/usr/local/bin"))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
