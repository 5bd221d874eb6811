using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Motadata.Cache.Configuration;
using Motadata.Cache.Stats;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Backends.Dragonfly;

/// <summary>
/// The one StackExchange.Redis multiplexer a Dragonfly store shares across every call, and the rules for its failures:
/// which client exceptions mean the server failed (<see cref="IsBackendFailure"/>), and how they become a
/// <see cref="CacheBackendException"/> that names the endpoint and the command but never the password.
/// </summary>
internal sealed partial class DragonflyConnection : IDisposable, IAsyncDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly string? _password;
    private readonly CacheCounters _statistics;
    private readonly ILogger _logger;
    private long _unsettledWalks;
    private bool _cluster;
    private bool _clusterKnown;

    /// <param name="config">The settings.</param>
    /// <param name="statistics">Where failures are counted.</param>
    /// <param name="endpoint">The server(s) to reach; null for <see cref="CacheConfig.DragonflyUrl"/> (a shard passes its one node).</param>
    public DragonflyConnection(CacheConfig config, CacheCounters statistics, DragonflyEndpoint? endpoint = null)
    {
        endpoint ??= DragonflyEndpoint.Parse(config.DragonflyUrl!);
        Endpoint = endpoint.Describe();
        _logger = (config.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<DragonflyStore>();
        _password = endpoint.Password;
        _statistics = statistics;
        try
        {
            // AbortOnConnectFail is off: with the server down this returns, and the client keeps reconnecting.
            _multiplexer = ConnectionMultiplexer.Connect(endpoint.ToConfigurationOptions(config.ConnectTimeout, config.OperationTimeout, config.DedicatedIOThreads));
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("connect", exception);
        }

        Database = _multiplexer.GetDatabase();
        if (endpoint.Database != 0 && IsCluster())
        {
            _multiplexer.Dispose();
            throw new ArgumentException(
                $"DragonflyUrl selects database {endpoint.Database}, but {Endpoint} answers as a Redis Cluster, which has only database 0; remove \"/{endpoint.Database}\" from the URL (use KeyPrefix to keep caches apart).",
                nameof(config));
        }
    }

    /// <summary>The endpoints, for messages (no password).</summary>
    public string Endpoint { get; }

    /// <summary>The database every command goes through (key-prefixed views of it come from <see cref="DragonflyKeys"/>).</summary>
    public IDatabase Database { get; }

    /// <summary>The client, for the walks that address nodes one by one.</summary>
    public ConnectionMultiplexer Multiplexer => _multiplexer;

    /// <summary>
    /// Admits one keyspace walk (<see cref="DragonflyScanner"/>) of this client at a time: a tenant looping stats,
    /// invalidations or clears queues behind its own walks instead of running them side by side on the server's one
    /// thread, where every other tenant's reads wait too. Never disposed: a SemaphoreSlim holds no handle unless one is
    /// asked for, and a walk may still be releasing it while the connection closes.
    /// </summary>
    public SemaphoreSlim WalkGate { get; } = new(1, 1);

    /// <summary>Removal walks that ended while a cluster's slots were still moving (see <see cref="DragonflyScanner"/>).</summary>
    public long UnsettledWalks => Interlocked.Read(ref _unsettledWalks);

    /// <summary>
    /// The nodes that hold keys: every primary the client knows (one for a single server; each primary of a
    /// cluster; the primary of a primary/replica set). Before the client has ever reached a server, every endpoint it
    /// was given, so a walk fails on the first one (a server failure) instead of finding nothing.
    /// </summary>
    public IReadOnlyList<IServer> Primaries()
    {
        var servers = _multiplexer.GetServers();
        var primaries = new List<IServer>(servers.Length);
        foreach (var server in servers)
        {
            if (!server.IsReplica)
            {
                primaries.Add(server);
            }
        }

        return primaries.Count > 0 ? primaries : servers;
    }

    /// <summary>True when the servers answer as a Redis Cluster (Redis, Valkey, Dragonfly in cluster mode).</summary>
    public static bool IsCluster(IReadOnlyList<IServer> servers)
    {
        foreach (var server in servers)
        {
            if (server.ServerType == ServerType.Cluster)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the client has reached the servers and they answer as a Redis Cluster.</summary>
    public bool IsCluster() => IsCluster(_multiplexer.GetServers());

    /// <summary>
    /// <see cref="IsCluster()"/>, remembered from the first answer given while the client is connected (a server does
    /// not turn into a cluster under a live connection), so a hot path can ask it often.
    /// </summary>
    public bool IsClusterOnceConnected()
    {
        if (Volatile.Read(ref _clusterKnown))
        {
            return _cluster;
        }

        var servers = _multiplexer.GetServers();
        var cluster = IsCluster(servers);
        if (servers.Any(server => server.IsConnected))
        {
            _cluster = cluster;
            Volatile.Write(ref _clusterKnown, true);
        }

        return cluster;
    }

    /// <summary>An endpoint as <c>host:port</c>, for figures and messages.</summary>
    public static string Describe(EndPoint? endpoint) => endpoint switch
    {
        IPEndPoint { Address.AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip => $"[{ip.Address}]:{ip.Port}",
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        null => "?",
        _ => endpoint.ToString() ?? "?",
    };

    /// <summary>A removal walk gave up waiting for a cluster's slots to stop moving: logged, and counted for tests.</summary>
    public void RecordUnsettledWalk()
    {
        Interlocked.Increment(ref _unsettledWalks);
        LogUnsettledWalk(_logger, Endpoint, DragonflyScanner.TopologyBudget.TotalSeconds);
    }

    // Besides its own exceptions, the client can surface the transport's: an IOException or SocketException, or an
    // InvalidOperationException from its pipes ("Reading is not allowed after reader was completed",
    // StackExchange.Redis #3085) when the connection dies under a read. Only from those sources: a serializer's own
    // InvalidOperationException (warming encodes inside a try block) stays the caller's bug. The client also cancels
    // the tasks of commands it gives up on when a connection fails: a cancellation nobody asked for (its token is not
    // cancelled) is the server's failure, while the caller's own cancellation stays a cancellation.
    public static bool IsBackendFailure(Exception exception) => exception switch
    {
        RedisException or TimeoutException or ObjectDisposedException => true,
        OperationCanceledException { CancellationToken.IsCancellationRequested: false } => true,
        IOException or System.Net.Sockets.SocketException => true,
        InvalidOperationException { Source: "System.IO.Pipelines" or "StackExchange.Redis" or "Pipelines.Sockets.Unofficial" } => true,
        AggregateException { InnerExceptions.Count: > 0 } aggregate => aggregate.InnerExceptions.All(IsBackendFailure),
        _ => false,
    };

    /// <summary>
    /// Another client put a list, hash or set under one of our keys: the server answers <c>WRONGTYPE</c>. That is a
    /// bad value, not a failing server, so it is handled as one (and trips no circuit breaker).
    /// </summary>
    public static bool IsWrongType(RedisServerException exception) =>
        exception.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal);

    public static Task<TResult> WaitAsync<TResult>(Task<TResult> pending, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? pending.WaitAsync(cancellationToken) : pending;

    public static Task WaitAsync(Task pending, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? pending.WaitAsync(cancellationToken) : pending;

    /// <summary>Counts a backend failure and wraps the client's exception for the caller (or the recovery decorator).</summary>
    public CacheBackendException Failure(string operation, Exception exception)
    {
        _statistics.RecordBackendFailure();
        if (exception is AggregateException { InnerException: { } inner })
        {
            exception = inner;
        }

        var detail = exception.Message;
        if (!string.IsNullOrEmpty(_password))
        {
            // The client's messages should never hold the password; make sure.
            detail = detail.Replace(_password, "***", StringComparison.Ordinal);
        }

        return new CacheBackendException($"Dragonfly at {Endpoint} failed on {operation}: {detail}", exception);
    }

    /// <summary>
    /// A clean-up after a read (removing an unreadable value) failed: the read already answered "miss", so this is
    /// only counted; the bad value stays for the next reader to remove.
    /// </summary>
    public void RecordCleanupFailure() => _statistics.RecordBackendFailure();

    [LoggerMessage(5, LogLevel.Information, "Read batching (CacheConfig.ReadBatching) is not used: {Endpoint} is a Redis Cluster, where one MGET must stay in one slot, so every read goes alone as a GET.")]
    private static partial void ReadBatchingOffOnCluster(ILogger logger, string endpoint);

    /// <summary>Says, once, that the configured read batching is not used because the server is a cluster.</summary>
    public void LogReadBatchingOffOnCluster() => ReadBatchingOffOnCluster(_logger, Endpoint);

    [LoggerMessage(4, LogLevel.Warning, "The cluster at {Endpoint} kept moving slots for {Seconds} s while an invalidation or clear walked it; a key that moved between nodes during the last walk may have been missed.")]
    private static partial void LogUnsettledWalk(ILogger logger, string endpoint, double seconds);

    public void Dispose() => _multiplexer.Dispose();

    public ValueTask DisposeAsync() => _multiplexer.DisposeAsync();
}
