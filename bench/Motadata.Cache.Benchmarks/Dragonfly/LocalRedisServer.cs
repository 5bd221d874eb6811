using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Dragonfly;

/// <summary>
/// A <c>redis-server</c> child process on a free loopback port, standing in for Dragonfly (same protocol; no
/// Dragonfly binary here): no persistence, so nothing but the benchmark touches the disk.
/// </summary>
public sealed class LocalRedisServer : IDisposable
{
    private readonly Process _process;

    private LocalRedisServer(int port, Process process)
    {
        Port = port;
        _process = process;
    }

    public int Port { get; }

    public string EndPoint => $"127.0.0.1:{Port}";

    public string Url => $"dragonfly://127.0.0.1:{Port}";

    public static LocalRedisServer Start()
    {
        var port = FreePort();
        var info = new ProcessStartInfo("redis-server", $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no --protected-mode no --loglevel warning")
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
        var server = new LocalRedisServer(port, process);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = ConnectionMultiplexer.Connect($"{server.EndPoint},connectTimeout=1000,abortConnect=true");
                probe.GetDatabase().Ping();
                return server;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    public ConnectionMultiplexer Connect() =>
        ConnectionMultiplexer.Connect($"{EndPoint},abortConnect=true,syncTimeout=5000,asyncTimeout=5000");

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
