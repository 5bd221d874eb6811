using System.Reflection;
using System.Runtime.ExceptionServices;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;
using Motadata.Cache.Stores.Backends.Dragonfly;
using Motadata.Cache.Stores.Tiers.Recovery;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Recovery;

/// <summary>
/// Recovery's loop outlives an exception that is not the server's failure (a defect, a disposal race): it says so in
/// the log (event 5008, by the exception's type, never its message, which may carry key names) and recovers once the
/// cause is gone.
/// </summary>
public sealed class RecoveryLoopLoggingTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AnUnexpectedExceptionInTheLoopIsLoggedByTypeWithoutItsMessageAndRecoveryGoesOn()
    {
        await using var server = await RedisServer.StartAsync();
        var logs = new RecordingLoggerFactory();
        var config = new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = server.Url,
            KeyPrefix = $"recovery-loop-{Guid.NewGuid():N}:",
            EnableRecovery = true,
            OperationTimeout = TimeSpan.FromMilliseconds(250),
            RecoveryBreakDuration = TimeSpan.FromMilliseconds(500),
            LoggerFactory = logs,
        };
        var dragonfly = new DragonflyStore(config, new CacheCounters());
        var inner = FaultyProbes.Wrap(dragonfly);
        await using var recovering = new RecoveringStore(inner, new FaultyProbe(dragonfly, FaultyProbes.Of(inner)), config, new CacheCounters(), TimeProvider.System);

        // A removal the frozen server cannot take: recovery journals it and starts its loop.
        server.Pause();
        try
        {
            _ = await recovering.DeleteAsync(new CacheKey("t", "k"), CancellationToken.None);
            Assert.NotEqual(CacheHealthStatus.Healthy, recovering.Health.Status);
            FaultyProbes.Of(inner).Failing = true;
        }
        finally
        {
            server.Resume();
        }

        using var patience = new CancellationTokenSource(s_patience);
        while (!logs.Lines.Any(line => line.EventId.Id == 5008))
        {
            await Task.Delay(10, patience.Token);
        }

        var logged = Assert.Single(logs.Lines, line => line.EventId.Id == 5008);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, logged.Level);
        Assert.Contains(nameof(InvalidOperationException), logged.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FaultyProbes.Secret, logged.Message, StringComparison.Ordinal);

        FaultyProbes.Of(inner).Failing = false;
        await recovering.WaitUntilHealthyAsync(patience.Token);
        Assert.Equal(CacheHealthStatus.Healthy, recovering.Health.Status);
    }

    /// <summary>
    /// The store under recovery, unchanged, except that while <see cref="Failing"/> every call recovery's loop makes
    /// (its replays and probes) throws an exception that is not a server failure and names a key.
    /// </summary>
    public class FaultyProbes : DispatchProxy
    {
        public const string Secret = "tenant-secret-key";

        private ICacheStore _target = null!;
        private volatile bool _failing;

        public bool Failing
        {
            get => _failing;
            set => _failing = value;
        }

        internal static ICacheStore Wrap(ICacheStore target)
        {
            var proxy = Create<ICacheStore, FaultyProbes>();
            ((FaultyProbes)(object)proxy)._target = target;
            return proxy;
        }

        internal static FaultyProbes Of(ICacheStore proxy) => (FaultyProbes)(object)proxy;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (Failing && targetMethod!.Name is "ReadAsync" or "DeleteAsync" or "ProbeAsync")
            {
                throw new InvalidOperationException($"not the server's failure: key {Secret}");
            }

            try
            {
                return targetMethod!.Invoke(_target, args);
            }
            catch (TargetInvocationException exception) when (exception.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(exception.InnerException);
                throw;
            }
        }
    }

    /// <summary>The backend's probe, failing as <see cref="FaultyProbes"/> says (the probe is a capability of its own).</summary>
    private sealed class FaultyProbe(IStoreProbe probe, FaultyProbes faults) : IStoreProbe
    {
        public ValueTask<ReadOutcome<byte[]>> ProbeAsync(CancellationToken cancellationToken) =>
            faults.Failing ? throw new InvalidOperationException($"not the server's failure: key {FaultyProbes.Secret}") : probe.ProbeAsync(cancellationToken);
    }
}
