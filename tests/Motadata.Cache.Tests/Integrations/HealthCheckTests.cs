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
        Assert.Equal(1, provider.GetRequiredKeyedService<CacheMechanism>("sessions").GetStats().Misses);
    }

    [Fact]
    public async Task WhenTheDragonflyServerIsKilledTheCheckTurnsUnhealthy()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = CacheMechanism.CreateDragonfly(server.Url, configure: c =>
        {
            c.EnableRecovery = false;
            c.OperationTimeout = TimeSpan.FromMilliseconds(500);
        });
        var check = new MotadataCacheHealthCheck(cache);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);

        await server.KillAsync();
        var down = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.NotNull(down.Exception);
        Assert.Equal("Dragonfly", down.Data["backend"]);
    }
}
