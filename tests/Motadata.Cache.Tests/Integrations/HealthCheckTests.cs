using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Integrations;

public sealed class HealthCheckTests
{
    [Fact]
    public async Task WhenTheBackendAnswersTheCheckIsHealthy()
    {
        await using var cache = CacheMechanism.CreateMemory();

        var result = await new MotadataCacheHealthCheck(cache).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("Memory", result.Data["backend"]);
        Assert.False(cache.TryGet<byte[]>(MotadataCacheHealthCheck.ProbeKey, out _));
    }

    [Fact]
    public async Task WhenTheCacheCannotBeReadTheCheckReportsTheFailureStatus()
    {
        var cache = CacheMechanism.CreateMemory();
        await cache.DisposeAsync();
        var context = new HealthCheckContext
        {
            Registration = new HealthCheckRegistration("cache", new MotadataCacheHealthCheck(cache), HealthStatus.Degraded, null),
        };

        var result = await new MotadataCacheHealthCheck(cache).CheckHealthAsync(context);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.IsType<ObjectDisposedException>(result.Exception);
    }

    [Fact]
    public async Task WhenRegisteredForANamedCacheTheCheckProbesThatCache()
    {
        var services = new ServiceCollection();
        services.AddMotadataCache("sessions", _ => { });
        await using var provider = services.BuildServiceProvider();
        var registration = MotadataCacheHealthCheck.Registration("sessions", tags: ["ready"]);

        var check = registration.Factory(provider);
        var result = await check.CheckHealthAsync(new HealthCheckContext { Registration = registration });

        Assert.Equal("motadata-cache-sessions", registration.Name);
        Assert.Contains("ready", registration.Tags);
        Assert.Equal(HealthStatus.Healthy, result.Status);
        // The probe went to the named cache (its backend answered), and was not counted as a miss (issue 11).
        Assert.Equal(0, provider.GetRequiredKeyedService<CacheMechanism>("sessions").GetStats().Misses);
    }

    [Fact]
    public async Task WhenTheDragonflyServerIsKilledTheCheckTurnsUnhealthy()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = CacheMechanism.CreateDragonfly(server.Url, configure: c =>
        {
            c.EnableRecovery = false;

            // Generous for the healthy check made before the fault; the killed server then fails calls at once.
            c.OperationTimeout = TimeSpan.FromSeconds(5);
        });
        var check = new MotadataCacheHealthCheck(cache);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);

        await server.KillAsync();
        var down = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.NotNull(down.Exception);
        Assert.Equal("Dragonfly", down.Data["backend"]);
    }

    [Fact]
    public async Task WhenRecoveryIsOnAndTheServerIsKilledTheCheckReportsTheRecoveryState()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = CacheMechanism.CreateDragonfly(server.Url, configure: c =>
        {
            c.EnableRecovery = true;

            // Generous for the healthy check made before the fault; the killed server then fails calls at once.
            c.OperationTimeout = TimeSpan.FromSeconds(5);
        });
        var check = new MotadataCacheHealthCheck(cache);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);

        await server.KillAsync();
        var result = await check.CheckHealthAsync(new HealthCheckContext());
        for (var probe = 0; probe < 20 && result.Status == HealthStatus.Healthy; probe++)
        {
            // Recovery turns the failed read into a miss; its state, not an exception, says the server is gone.
            result = await check.CheckHealthAsync(new HealthCheckContext());
        }

        Assert.NotEqual(HealthStatus.Healthy, result.Status);
        Assert.Null(result.Exception);
        Assert.Equal(cache.Health.Status.ToString(), result.Data["status"]);
        Assert.NotEqual(nameof(CacheHealthStatus.Healthy), result.Data["status"]);
    }

    [Theory]
    [InlineData(CacheBackend.Memory)]
    [InlineData(CacheBackend.Dragonfly)]
    public async Task WhenTheCheckPollsManyTimesNoHitOrMissIsCounted(CacheBackend backend)
    {
        await using var server = backend == CacheBackend.Dragonfly ? await RedisServer.StartAsync() : null;
        await using var cache = new CacheMechanism(new CacheConfig
        {
            Backend = backend,
            DragonflyUrl = server?.Url,
            OperationTimeout = TimeSpan.FromSeconds(5),
        });
        cache.Set("k", "v");
        Assert.Equal("v", cache.Get<string>("k"));
        Assert.Null(cache.Get<string>("absent"));
        var check = new MotadataCacheHealthCheck(cache);

        const int Polls = 25;
        for (var poll = 0; poll < Polls; poll++)
        {
            Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        }

        var stats = await cache.GetStatsAsync();
        Assert.Equal((1L, 1L), (stats.Hits, stats.Misses));
        Assert.Equal(0, stats.BackendFailures);
    }
}
