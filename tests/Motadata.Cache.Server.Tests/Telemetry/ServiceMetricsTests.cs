using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Motadata.Cache.Server.Telemetry;
using Motadata.Cache.Server.Tests.Infrastructure;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Telemetry;

/// <summary>The service's own meter: only valid tenants recorded, a failing read never breaks a scrape, and the /metrics settings (key required, no tenant names).</summary>
public sealed class ServiceMetricsTests
{
    private const string Scope = "otel_scope_name=\"Motadata.Cache.Server\"";
    private const string TenantKey = "tenant-key-0123456789abcdef";
    private const string MetricsKey = "metrics-key-0123456789abcdef";
    private const string AdminKey = "admin-key-0123456789abcdef";

    [Fact]
    public async Task ATenantTheCacheRefusesIsNeverReportedAndEveryValidTenantStillIs()
    {
        await using var host = await ServiceHost.StartAsync([new("Cache:Backend", "Memory")]);
        var client = host.CreateClient();

        await Http.AssertProblemAsync(await client.GetAsync($"v1/tenants/{new string('t', 300)}/stats"), HttpStatusCode.BadRequest);
        await client.PutAsync("v1/tenants/good/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain"));
        await client.GetAsync("v1/tenants/good/keys/k");

        var metrics = await client.GetStringAsync("metrics");
        Assert.Contains($"motadata_cache_server_hits_total{{{Scope},tenant=\"good\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains($"motadata_cache_server_entries{{{Scope},tenant=\"good\"}} 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("ttttt", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnDragonflyAScrapeNeverWaitsForAScanAndServesTheLastFiguresMeanwhile()
    {
        await using var redis = await RedisServer.StartAsync();
        using var provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
        await using var cache = new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = redis.Url,
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(5),
        });
        var factory = provider.GetRequiredService<IMeterFactory>();

        // A zero interval: every scrape finds the figures stale and starts a background read if none is running.
        var metrics = new ServiceMetrics(factory, cache, 10, tenantLabels: true, NullLogger<ServiceMetrics>.Instance, TimeSpan.Zero);
        metrics.TrackTenant("a");
        cache.Set("k1", "v", tenantId: "a");
        var entries = new List<long>();
        using var listener = Listen(factory, "motadata.cache.server.entries", (value, _) => entries.Add(value));

        // The first scrape has no figures yet: it starts the read and answers without it.
        listener.RecordObservableInstruments();
        Assert.Empty(entries);
        await metrics.Refreshing!;
        listener.RecordObservableInstruments();
        Assert.Equal([1L], entries);
        await metrics.Refreshing!;

        // A scrape answers from the last figures at once; the scan runs behind it.
        cache.Set("k2", "v", tenantId: "a");
        var scansBefore = await ScanCallsAsync(redis);
        listener.RecordObservableInstruments();
        Assert.Equal([1L, 1L], entries);
        await metrics.Refreshing!;
        Assert.True(await ScanCallsAsync(redis) > scansBefore);

        // Then the figures the background read took are served.
        listener.RecordObservableInstruments();
        Assert.Equal(2L, entries[^1]);
    }

    [Fact]
    public async Task OnDragonflyAScrapeWithinTheRefreshIntervalDoesNotTouchTheServer()
    {
        await using var redis = await RedisServer.StartAsync();
        using var provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
        await using var cache = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = redis.Url, EnableRecovery = false });
        var factory = provider.GetRequiredService<IMeterFactory>();
        var metrics = new ServiceMetrics(factory, cache, 10, tenantLabels: true, NullLogger<ServiceMetrics>.Instance, TimeSpan.FromDays(1));
        metrics.TrackTenant("a");
        cache.Set("k1", "v", tenantId: "a");
        var measured = 0;
        using var listener = Listen(factory, null, (_, _) => measured++);
        listener.RecordObservableInstruments();
        var first = metrics.Refreshing!;
        await first;
        var scans = await ScanCallsAsync(redis);
        measured = 0;

        for (var i = 0; i < 10; i++)
        {
            listener.RecordObservableInstruments();
        }

        Assert.Equal(scans, await ScanCallsAsync(redis));
        Assert.Equal(40, measured);
        Assert.Same(first, metrics.Refreshing);
    }

    [Fact]
    public async Task OnDragonflyOneBackgroundReadWalksTheServerOnceForEveryTenantTogether()
    {
        await using var redis = await RedisServer.StartAsync();
        using var provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
        await using var cache = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = redis.Url, EnableRecovery = false });
        var factory = provider.GetRequiredService<IMeterFactory>();
        var metrics = new ServiceMetrics(factory, cache, 100, tenantLabels: true, NullLogger<ServiceMetrics>.Instance, TimeSpan.FromDays(1));
        for (var i = 0; i < 60; i++)
        {
            metrics.TrackTenant($"t{i}");
            for (var k = 0; k <= i % 3; k++)
            {
                cache.Set($"k{k}", "v", tenantId: $"t{i}");
            }
        }

        cache.Set("g", "v");
        var entries = new Dictionary<string, long>();
        using var listener = Listen(factory, "motadata.cache.server.entries", (value, tenant) => entries[tenant!] = value);
        var scans = await ScanCallsAsync(redis);
        listener.RecordObservableInstruments();
        await metrics.Refreshing!;
        listener.RecordObservableInstruments();

        // One walk (a keyspace this small is one SCAN page), not sixty.
        Assert.Equal(scans + 1, await ScanCallsAsync(redis));
        Assert.Equal(60, entries.Count);
        for (var i = 0; i < 60; i++)
        {
            Assert.Equal((i % 3) + 1, entries[$"t{i}"]);
        }
    }

    [Fact]
    public async Task OnAFrozenServerAScrapeStillAnswersWithEveryTenantsHitsAndMisses()
    {
        await using var redis = await RedisServer.StartAsync();
        using var provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
        await using var cache = new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = redis.Url,
            EnableRecovery = false,
            OperationTimeout = TimeSpan.FromSeconds(5),
        });
        var factory = provider.GetRequiredService<IMeterFactory>();
        var metrics = new ServiceMetrics(factory, cache, 100, tenantLabels: true, NullLogger<ServiceMetrics>.Instance, TimeSpan.FromSeconds(1));
        for (var i = 0; i < 60; i++)
        {
            metrics.TrackTenant($"t{i}");
            Assert.Null(cache.Get<string>("missing", $"t{i}"));
        }

        var misses = new Dictionary<string, long>();
        using var listener = Listen(factory, "motadata.cache.server.misses", (value, tenant) => misses[tenant!] = value);
        redis.Pause();
        try
        {
            // Before, each newly seen tenant was read in place with a walk of the server: sixty walks, each waiting for
            // a frozen server. Now the scrape reads only this process's counters.
            await Task.Run(listener.RecordObservableInstruments).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(60, misses.Count);
            Assert.All(misses.Values, value => Assert.Equal(1, value));
        }
        finally
        {
            redis.Resume();
        }
    }

    [Fact]
    public void ATenantTheCacheFoldedAwayAsIdleIsNoLongerReportedAndItsSlotGoesToTheNextTenant()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var cache = new CacheMechanism(new CacheConfig { TimeProvider = time });
        var factory = provider.GetRequiredService<IMeterFactory>();
        var metrics = new ServiceMetrics(factory, cache, 2, tenantLabels: true, NullLogger<ServiceMetrics>.Instance);
        var misses = new Dictionary<string, long>();
        using var listener = Listen(factory, "motadata.cache.server.misses", (value, tenant) => misses[tenant!] = value);
        cache.Set("k", "v", tenantId: "writer");
        metrics.TrackTenant("writer");
        metrics.TrackTenant("probe-1");
        cache.Get<string>("k", "probe-1");

        // The cap is reached: a third tenant is served but not reported.
        metrics.TrackTenant("late");
        cache.Get<string>("k", "late");
        listener.RecordObservableInstruments();
        Assert.Equal(["probe-1", "writer"], misses.Keys.Order());

        // probe-1 only missed and stays idle: the cache folds it away, and /metrics frees its slot.
        time.Advance(TimeSpan.FromMinutes(2));
        misses.Clear();
        listener.RecordObservableInstruments();
        Assert.Equal(["writer"], misses.Keys);

        metrics.TrackTenant("late");
        cache.Get<string>("k", "late");
        misses.Clear();
        listener.RecordObservableInstruments();
        Assert.Equal(["late", "writer"], misses.Keys.Order());
        Assert.Equal(1, misses["late"]);
    }

    private static MeterListener Listen(IMeterFactory factory, string? instrumentName, Action<long, string?> measured)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ServiceMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory) && (instrumentName is null || instrument.Name == instrumentName))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? tenant = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "tenant")
                {
                    tenant = tag.Value as string;
                }
            }

            measured(value, tenant);
        });
        listener.Start();
        return listener;
    }

    private static async Task<long> ScanCallsAsync(RedisServer redis)
    {
        var info = await redis.CommandAsync("INFO", "commandstats");
        var match = System.Text.RegularExpressions.Regex.Match(info, @"cmdstat_scan:calls=(\d+)");
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public void WhenReadingTheStatisticsThrowsEveryInstrumentAnswersWithoutThrowing()
    {
        using var provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var cache = new CacheMechanism(new CacheConfig());
        var factory = provider.GetRequiredService<IMeterFactory>();
        var metrics = new ServiceMetrics(factory, cache, 10, tenantLabels: true, NullLogger<ServiceMetrics>.Instance);
        metrics.TrackTenant("a");
        metrics.TrackTenant("b");
        cache.Get<string>("k", "a");
        cache.Get<string>("k", "b");
        var measured = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                // This factory's meter only: services started by tests running alongside publish the same meter name.
                if (instrument.Meter.Name == ServiceMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, _, _) => measured.Add(instrument.Name));
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Contains("motadata.cache.server.hits", measured);

        // A disposed cache throws ObjectDisposedException from GetStats: not a backend failure, and not the scrape's
        // problem. A new tenant makes the next collection read again.
        cache.Dispose();
        metrics.TrackTenant("c");
        measured.Clear();
        listener.RecordObservableInstruments();

        Assert.Empty(measured);
    }

    [Fact]
    public async Task MetricsThatRequireAKeyRefuseTenantKeysAndServeMetricsAndAdminKeys()
    {
        await using var host = await ServiceHost.StartAsync(
        [
            new("Cache:Backend", "Memory"),
            new("Service:Metrics:RequireApiKey", "true"),
            new("Service:ApiKeys:0:Key", TenantKey),
            new("Service:ApiKeys:0:Tenants:0", "*"),
            new("Service:ApiKeys:1:Key", MetricsKey),
            new("Service:ApiKeys:1:Metrics", "true"),
            new("Service:ApiKeys:2:Key", AdminKey),
            new("Service:ApiKeys:2:Admin", "true"),
        ]);

        await Http.AssertProblemAsync(await host.CreateClient().GetAsync("metrics"), HttpStatusCode.Unauthorized);
        var detail = await Http.AssertProblemAsync(await host.CreateClient(TenantKey).GetAsync("metrics"), HttpStatusCode.Forbidden);
        Assert.Contains("Metrics", detail, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", await host.CreateClient(MetricsKey).GetStringAsync("metrics"), StringComparison.Ordinal);
        await Http.AssertStatusAsync(await host.CreateClient(AdminKey).GetAsync("metrics"), HttpStatusCode.OK);

        var document = await Http.ReadJsonAsync(await host.CreateClient().GetAsync("openapi/v1.json"));
        Assert.True(document.GetProperty("paths").GetProperty("/metrics").GetProperty("get").TryGetProperty("security", out _), "The OpenAPI document does not say /metrics needs a key.");

        // A key that may only read metrics reaches no tenant and no admin route.
        await Http.AssertProblemAsync(await host.CreateClient(MetricsKey).GetAsync("v1/tenants/a/stats"), HttpStatusCode.Forbidden);
        await Http.AssertProblemAsync(await host.CreateClient(MetricsKey).GetAsync("v1/stats"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task MetricsWithoutTenantLabelsNameNoTenantAndReportTheWholeCache()
    {
        await using var host = await ServiceHost.StartAsync([new("Cache:Backend", "Memory"), new("Service:Metrics:TenantLabels", "false")]);
        var client = host.CreateClient();
        foreach (var tenant in new[] { "secret-one", "secret-two" })
        {
            await client.PutAsync($"v1/tenants/{tenant}/keys/k", Http.Bytes("v"u8.ToArray(), "text/plain"));
            await client.GetAsync($"v1/tenants/{tenant}/keys/k");
        }

        var metrics = await client.GetStringAsync("metrics");

        Assert.DoesNotContain("secret-", metrics, StringComparison.Ordinal);
        Assert.Contains($"motadata_cache_server_hits_total{{{Scope}}} 2", metrics, StringComparison.Ordinal);
        Assert.Contains($"motadata_cache_server_entries{{{Scope}}} 2", metrics, StringComparison.Ordinal);
    }
}
