using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Motadata.Cache.Tests.Dragonfly;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.TwoLevel;

/// <summary>Local misses: one server read per key however many callers miss at once; and what the metrics report.</summary>
public sealed class TwoLevelReadTests : TwoLevelTestsBase
{
    private const int Callers = 50;
    private const int SyncReaders = 8;

    public TwoLevelReadTests(RedisServerFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public async Task ConcurrentLocalMissesOfOneKeyMakeOneServerRead()
    {
        await using var server = await RedisServer.StartAsync();
        var a = CreateInstance(config => config.DragonflyUrl = server.Url);
        var b = CreateInstance(config => config.DragonflyUrl = server.Url);
        Assert.True(a.Set("k", "v", tenantId: "t"));

        // A's announcement of its Set has reached B, so it cannot drop what B is about to fill.
        await EventuallyAsync(() => b.GetStats().BackplaneMessagesReceived >= 1, "B receives A's announcement");
        var getsBefore = await GetCallsAsync(server);

        // Synchronous readers on threads of their own (blocking pool threads would starve every other test), released
        // together; asynchronous readers started back to back while the first read is on the wire.
        using var start = new ManualResetEventSlim();
        var syncValues = new string?[SyncReaders];
        var threads = Enumerable.Range(0, SyncReaders).Select(i => new Thread(() =>
        {
            start.Wait();
            syncValues[i] = b.Get<string>("k", "t");
        })).ToList();
        threads.ForEach(thread => thread.Start());
        start.Set();
        var asyncValues = await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => b.GetAsync<string>("k", "t").AsTask())).WaitAsync(Patience);
        threads.ForEach(thread => Assert.True(thread.Join(Patience)));

        Assert.All(asyncValues.Concat(syncValues), value => Assert.Equal("v", value));
        Assert.Equal(getsBefore + 1, await GetCallsAsync(server));
        Assert.Equal(Callers + SyncReaders, b.GetStats("t").Hits);
    }

    [Fact]
    public async Task TheMeterReportsLocalHitsAndBackplaneMessages()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        Assert.True(a.Set("k", "v", tenantId: "t"));
        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "k", "t"));
        Assert.True(a.Delete("k", "t"));
        await EventuallyAsync(() => !b.TryGet<string>("k", out _, "t"), "B drops the deleted key");

        using var localHits = new MetricCollector<long>(b.Telemetry.Meter, CacheDiagnostics.LocalHits);
        using var hits = new MetricCollector<long>(b.Telemetry.Meter, CacheDiagnostics.Hits);
        using var messages = new MetricCollector<long>(b.Telemetry.Meter, CacheDiagnostics.BackplaneMessages);
        localHits.RecordObservableInstruments();
        hits.RecordObservableInstruments();
        messages.RecordObservableInstruments();

        var stats = b.GetStats("t");
        Assert.Equal(stats.LocalHits, localHits.GetMeasurementSnapshot().Single(m => Equals(m.Tags.GetValueOrDefault(CacheDiagnostics.TenantTag), "t")).Value);
        Assert.Equal(stats.Hits, hits.GetMeasurementSnapshot().Single(m => Equals(m.Tags.GetValueOrDefault(CacheDiagnostics.TenantTag), "t")).Value);
        Assert.True(stats.LocalHits >= 1);
        var received = messages.GetMeasurementSnapshot().Single(m => Equals(m.Tags[CacheDiagnostics.BackplaneDirectionTag], "received")).Value;
        Assert.Equal(b.GetStats().BackplaneMessagesReceived, received);
        Assert.True(received >= 2, "A's set and delete");
    }

    private static async Task<long> GetCallsAsync(RedisServer server)
    {
        var info = await server.CommandAsync("INFO", "commandstats");
        var line = info.Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_get:", StringComparison.Ordinal));
        if (line is null)
        {
            return 0;
        }

        var calls = line["cmdstat_get:calls=".Length..line.IndexOf(',', StringComparison.Ordinal)];
        return long.Parse(calls, System.Globalization.CultureInfo.InvariantCulture);
    }
}
