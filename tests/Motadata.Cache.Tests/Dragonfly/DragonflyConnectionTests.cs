using System.Diagnostics;
using Motadata.Cache.Configuration;
using Motadata.Cache.Tests.Infrastructure;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// Connecting to the server: URLs, passwords, a server that is down at construction, and failures surfaced as
/// <see cref="CacheBackendException"/> when recovery is off. Each test runs its own server, since tests kill them.
/// </summary>
public sealed class DragonflyConnectionTests : IAsyncLifetime
{
    private const string Password = "s3cret-Pa55";

    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    [Theory]
    [InlineData("ftp://user:" + Password + "@localhost:6379")]
    [InlineData("dragonfly://user:" + Password + "@localhost:99999")]
    [InlineData("dragonfly://:" + Password + "@/0")]
    [InlineData("redis://user:" + Password + "@localhost:6379/db")]
    public void ABadUrlIsAnArgumentExceptionThatMasksThePassword(string url)
    {
        var exception = Assert.Throws<ArgumentException>(() => new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = url,
        }));

        Assert.Contains("DragonflyUrl", exception.Message, StringComparison.Ordinal);
        Assert.Contains("***", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dragonfly://:{0}@127.0.0.1:{1}")]
    [InlineData("dragonfly://default:{0}@127.0.0.1:{1}")]
    [InlineData("redis://{0}@127.0.0.1:{1}/0")]
    public async Task APasswordProtectedServerWorks(string urlFormat)
    {
        var server = await StartAsync(Password);
        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, urlFormat, Password, server.Port);
        // A generous timeout: this is about authentication, not speed, and CI machines can be busy.
        var cache = await OwnAsync(new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = url, EnableRecovery = false, OperationTimeout = TimeSpan.FromSeconds(5) }));

        Assert.True(await cache.SetAsync("k", "v", tenantId: "t"));

        Assert.Equal("v", cache.Get<string>("k", "t"));
        Assert.DoesNotContain(Password, cache.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, cache.Config.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWrongPasswordFailsWithABackendExceptionThatNeverShowsIt()
    {
        var server = await StartAsync(Password);
        var cache = await OwnAsync(new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = $"dragonfly://:wrong-{Password}@127.0.0.1:{server.Port}",
            EnableRecovery = false,
            ConnectTimeout = TimeSpan.FromSeconds(1),
        }));

        var exception = await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.GetAsync<string>("k"));

        Assert.Contains(server.EndPoint, exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, exception.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithRecoveryOffAKilledServerGivesABackendExceptionNamingTheEndpointButNotThePassword()
    {
        var server = await StartAsync(Password);
        var cache = await OwnAsync(new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = $"dragonfly://default:{Password}@127.0.0.1:{server.Port}",
            EnableRecovery = false,

            // Generous for the set made before the fault; the killed server then fails calls at once.
            OperationTimeout = TimeSpan.FromSeconds(5),
        }));
        cache.Set("k", "v");

        await server.KillAsync();

        var sync = Assert.Throws<CacheBackendException>(() => cache.Get<string>("k"));
        var async = await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.SetAsync("k", "v2"));
        Assert.Throws<CacheBackendException>(() => cache.Invalidate("*"));
        await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.ClearAsync("t"));
        await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.WarmCacheAsync([KeyValuePair.Create("a", 1)]));
        Assert.Throws<CacheBackendException>(() => cache.Delete("k"));
        await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.GetUsageAsync());
        Assert.Equal(1, cache.GetStats().Sets); // counters only: no server call to fail
        foreach (var exception in new[] { sync, async })
        {
            Assert.Contains(server.EndPoint, exception.Message, StringComparison.Ordinal);
            Assert.Contains("Dragonfly", exception.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, exception.ToString(), StringComparison.Ordinal);
            Assert.IsAssignableFrom<Exception>(exception.InnerException);
            Assert.True(exception.InnerException is RedisException or TimeoutException, exception.InnerException.GetType().Name);
        }

        // Stats on this backend ask the server, so read the failure count once it is back.
        await server.RestartAsync();
        var stats = await EventuallyAsync(() => cache.GetStats());
        Assert.True(stats.BackendFailures >= 7, $"{stats.BackendFailures} backend failures counted");
    }

    [Fact]
    public async Task WithRecoveryOffAPausedServerTimesOutWithABackendException()
    {
        var server = await StartAsync();
        var cache = await OwnAsync(new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = server.Url,
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromMilliseconds(300),
        }));

        // Before the fault: a set that timed out on a stalled machine is retried, so only the paused server can fail.
        Assert.True(await EventuallyAsync(() => cache.Set("k", "v")));

        server.Pause();
        try
        {
            var exception = await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.GetAsync<string>("k"));
            Assert.Contains(server.EndPoint, exception.Message, StringComparison.Ordinal);
            Assert.IsAssignableFrom<TimeoutException>(exception.InnerException);
        }
        finally
        {
            server.Resume();
        }
    }

    [Fact]
    public async Task ATimeoutsMessageNamesNoKeyOfAnotherTenantsQueuedCommand()
    {
        // Issue 21, N8: StackExchange.Redis's timeout text named the next queued command ("next: SETEX
        // mc:t:6:globex:patient-4711-..."), and it reached the service's answers. The client is told not to.
        var server = await StartAsync();
        var cache = await OwnAsync(new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = server.Url,
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(1),
        }));
        Assert.True(await EventuallyAsync(() => cache.Set("k", "v", tenantId: "acme")));

        server.Pause();
        try
        {
            var queued = Enumerable.Range(0, 4)
                .Select(i => cache.SetAsync($"patient-4711-diagnosis-{i}", "secret", tenantId: "globex").AsTask())
                .ToArray();
            var exception = await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.GetAsync<string>("k", "acme"));

            for (Exception? e = exception; e is not null; e = e.InnerException)
            {
                Assert.DoesNotContain("patient", e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain("globex", e.Message, StringComparison.Ordinal);
            }

            foreach (var write in queued)
            {
                try
                {
                    await write;
                }
                catch (CacheBackendException)
                {
                    // globex's own writes fail too; only what acme was told matters here.
                }
            }
        }
        finally
        {
            server.Resume();
        }
    }

    [Fact]
    public async Task CancellingACallToAStalledServerCancelsItWithoutCountingAFailure()
    {
        var server = await StartAsync();
        var cache = await OwnAsync(new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = server.Url,
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(30),
        }));
        cache.Set("k", "v");

        server.Pause();
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cache.GetAsync<string>("k", cancellationToken: cancel.Token));
            using var cancelSet = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cache.SetAsync("k", "v2", cancellationToken: cancelSet.Token));
        }
        finally
        {
            server.Resume();
        }

        Assert.Equal(0, cache.GetStats().BackendFailures);
    }

    [Fact]
    public async Task AServerThatIsDownAtConstructionIsUsedOnceItComesUp()
    {
        var server = RedisServer.Reserve();
        _owned.Add(server);
        var cache = await OwnAsync(new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = server.Url,
            EnableRecovery = false,
            ConnectTimeout = TimeSpan.FromSeconds(1),
        }));
        Assert.Throws<CacheBackendException>(() => cache.Get<string>("k"));

        await server.RestartAsync();

        // The client reconnects in the background; wait for it (the test asserts that it happens, not how fast).
        Assert.True(await EventuallyAsync(() => cache.Set("k", "v", tenantId: "t")));

        Assert.Equal("v", await cache.GetAsync<string>("k", "t"));
        Assert.Contains("t:1:t:k", await server.CommandAsync("KEYS", "*"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerRestartedEmptyIsUsedAgainOnceTheClientReconnects()
    {
        var server = await StartAsync();
        // A generous timeout: the set before the fault, and the one after the reconnection, must not time out (the
        // killed server fails calls at once).
        var cache = await OwnAsync(new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = server.Url, EnableRecovery = false, OperationTimeout = TimeSpan.FromSeconds(5) }));
        cache.Set("k", "v");

        await server.KillAsync();
        await server.RestartAsync();

        Assert.Null(await EventuallyAsync(() => cache.Get<string>("k")));

        Assert.True(cache.Set("k", "v2"));
        Assert.Equal("v2", cache.Get<string>("k"));
    }

    [Fact]
    public void TheClientSettingsComeFromTheUrlAndTheConfiguration()
    {
        var endpoint = DragonflyEndpoint.Parse("dragonflys://app:" + Password + "@cache-1:7000,cache-2/3");

        var options = endpoint.ToConfigurationOptions(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(750));

        Assert.Equal(["cache-1:7000", "cache-2:6379"], options.EndPoints.Select(EndPointDescription));
        Assert.Equal("app", options.User);
        Assert.Equal(Password, options.Password);
        Assert.True(options.Ssl);
        Assert.Equal(3, options.DefaultDatabase);
        Assert.Equal(2_000, options.ConnectTimeout);
        Assert.Equal(750, options.SyncTimeout);
        Assert.Equal(750, options.AsyncTimeout);
        Assert.False(options.AbortOnConnectFail);
        Assert.False(options.SetClientLibrary);
        Assert.Equal(string.Empty, options.TieBreaker);
        Assert.False(options.IncludeDetailInExceptions);
        Assert.False(options.IncludePerformanceCountersInExceptions);
        Assert.DoesNotContain(Password, endpoint.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void RepliesAreReadOnTheThreadPoolUnlessDedicatedThreadsAreAskedFor()
    {
        var endpoint = DragonflyEndpoint.Parse("dragonfly://cache-1:7000");

        Assert.Same(StackExchange.Redis.SocketManager.ThreadPool, endpoint.ToConfigurationOptions(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)).SocketManager);
        Assert.Same(StackExchange.Redis.SocketManager.Shared, endpoint.ToConfigurationOptions(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), dedicatedIOThreads: true).SocketManager);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACacheWorksOnEitherKindOfReplyThread(bool dedicatedIOThreads)
    {
        var server = await StartAsync(null);
        await using var cache = new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = server.Url,
            DedicatedIOThreads = dedicatedIOThreads,
            EnableRecovery = false,
        });

        Assert.True(cache.Set("sync", 1, tenantId: "t"));
        Assert.True(await cache.SetAsync("async", 2, tenantId: "t"));
        Assert.Equal(1, cache.Get<int>("sync", "t"));
        var reads = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => cache.GetAsync<int>(i % 2 == 0 ? "sync" : "async", "t").AsTask()));
        int[] expected = [.. Enumerable.Range(0, 50).Select(i => i % 2 == 0 ? 1 : 2)];
        Assert.Equal(expected, reads);
    }

    private static string EndPointDescription(System.Net.EndPoint endPoint) =>
        endPoint is System.Net.DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : endPoint.ToString()!;

    /// <summary>Runs <paramref name="call"/> until the client has reconnected and it stops failing.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<T> call)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return call();
            }
            catch (CacheBackendException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        }
    }

    private async Task<RedisServer> StartAsync(string? password = null)
    {
        var server = await RedisServer.StartAsync(password);
        _owned.Add(server);
        return server;
    }

    private Task<CacheMechanism> OwnAsync(CacheMechanism cache)
    {
        _owned.Add(cache);
        return Task.FromResult(cache);
    }
}
