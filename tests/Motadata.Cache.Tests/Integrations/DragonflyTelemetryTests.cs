using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>Telemetry of real remote calls, on a real redis-server.</summary>
public sealed class DragonflyTelemetryTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task WhenRemoteCallsAreMadeTheyAreTimedTracedAndCounted()
    {
        var config = new CacheConfig();
        redis.Configure(config);
        await using var cache = new CacheMechanism(config);
        using var durations = new MetricCollector<double>(cache.Telemetry.Meter, CacheDiagnostics.OperationDuration);
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CacheDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var tenant = $"tel-{Guid.NewGuid():N}";
        await cache.SetAsync("k", "v", tenantId: tenant);
        await cache.GetAsync<string>("k", tenant);
        await cache.GetManyAsync<string>(["k", "missing"], tenant);
        await cache.DeleteAsync("k", tenant);

        var operations = durations.GetMeasurementSnapshot().Select(m => (string)m.Tags[CacheDiagnostics.OperationTag]!).ToList();
        Assert.Equal(["set", "get", "get_many", "delete"], operations);
        Assert.All(durations.GetMeasurementSnapshot(), m => Assert.Equal("dragonfly", m.Tags[CacheDiagnostics.BackendTag]));
        List<Activity> mine;
        lock (spans)
        {
            mine = spans.Where(a => Equals(a.GetTagItem(CacheDiagnostics.TenantTag), tenant)).ToList();
        }

        Assert.Equal(["set", "get", "get_many", "delete"], mine.Select(a => a.OperationName));
        using var hits = new MetricCollector<long>(cache.Telemetry.Meter, CacheDiagnostics.Hits);
        hits.RecordObservableInstruments();
        Assert.Equal(2, hits.GetMeasurementSnapshot().Single(m => Equals(m.Tags.GetValueOrDefault(CacheDiagnostics.TenantTag), tenant)).Value);
    }

    [Fact]
    public async Task WhenTheServerIsGoneTheFailureIsCountedAndTheCallTaggedWithItsError()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = CacheMechanism.CreateDragonfly(server.Url, configure: c =>
        {
            c.EnableRecovery = false;

            // Generous for the set made before the fault (a timeout there would fail it); the killed server then fails at once.
            c.OperationTimeout = TimeSpan.FromSeconds(5);
        });
        using var durations = new MetricCollector<double>(cache.Telemetry.Meter, CacheDiagnostics.OperationDuration);
        await cache.SetAsync("k", 1);

        await server.KillAsync();
        await Assert.ThrowsAsync<CacheBackendException>(async () => await cache.GetAsync<int>("k"));

        var failed = durations.GetMeasurementSnapshot().Single(m => m.Tags.ContainsKey(CacheDiagnostics.ErrorTypeTag));
        Assert.Equal("get", failed.Tags[CacheDiagnostics.OperationTag]);
        Assert.Equal(typeof(CacheBackendException).FullName, failed.Tags[CacheDiagnostics.ErrorTypeTag]);
        using var errors = new MetricCollector<long>(cache.Telemetry.Meter, CacheDiagnostics.Errors);
        errors.RecordObservableInstruments();
        Assert.True(errors.GetMeasurementSnapshot().Single(m => Equals(m.Tags[CacheDiagnostics.ErrorTypeTag], "backend_failure")).Value >= 1);
    }
}
