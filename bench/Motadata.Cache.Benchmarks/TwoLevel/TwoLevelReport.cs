using System.Diagnostics;
using System.Globalization;
using Motadata.Cache.Benchmarks.Dragonfly;
using Motadata.Cache.Keys;

namespace Motadata.Cache.Benchmarks.TwoLevel;

/// <summary>
/// Console reports for the two levels (issue 14), against a local redis-server: <c>-- delivery</c> (how long from A's
/// <c>Delete</c> returning until B's local level has dropped the key, p50 and p99 over 1,000 messages) and <c>-- mix</c>
/// (throughput of a 95% read / 5% write mix over 10,000 keys drawn Zipf(0.9), two instances, local level on vs off).
/// </summary>
public static class TwoLevelReport
{
    private const string Tenant = "tenant-1";

    public static async Task RunDeliveryAsync(TextWriter output, int messages = 1_000)
    {
        using var server = LocalRedisServer.Start();
        await using var a = Create(server, localLevel: true, "delivery:");
        await using var b = Create(server, localLevel: true, "delivery:");
        var local = b.LocalLevel!.Local;
        var times = new double[messages];
        var fromCall = new double[messages];
        for (var i = 0; i < messages; i++)
        {
            var key = "k" + (i % 100).ToString(CultureInfo.InvariantCulture);
            var cacheKey = new CacheKey(Tenant, key);
            a.Set(key, "v", TimeSpan.FromHours(1), Tenant);

            // B fills its local level once A's own announcement of the Set has passed.
            while (!local.TryGet(cacheKey, out string? _))
            {
                b.Get<string>(key, Tenant);
                await Task.Yield();
            }

            var called = Stopwatch.GetTimestamp();
            a.Delete(key, Tenant);
            var returned = Stopwatch.GetTimestamp();
            while (local.TryGet(cacheKey, out string? _))
            {
                Thread.SpinWait(20);
            }

            times[i] = Stopwatch.GetElapsedTime(returned).TotalMicroseconds;
            fromCall[i] = Stopwatch.GetElapsedTime(called).TotalMicroseconds;
        }

        Array.Sort(times);
        Array.Sort(fromCall);
        output.WriteLine($"Invalidation delivery A -> B over {messages} deletes (microseconds from A's Delete returning to B's local level dropping the key; 0 when it was dropped before A's call returned):");
        output.WriteLine($"  p50 {Percentile(times, 0.50):F0} us, p90 {Percentile(times, 0.90):F0} us, p99 {Percentile(times, 0.99):F0} us, max {times[^1]:F0} us");
        output.WriteLine($"  from A's Delete being called (DEL, then PUBLISH, then B's receipt): p50 {Percentile(fromCall, 0.50):F0} us, p99 {Percentile(fromCall, 0.99):F0} us");
        output.WriteLine($"  messages sent by A {a.GetStats().BackplaneMessagesSent}, received by B {b.GetStats().BackplaneMessagesReceived}, dropped {b.GetStats().BackplaneMessagesDropped}");
    }

    public static async Task RunMixAsync(TextWriter output, int callers = 16, int seconds = 5)
    {
        const int KeyCount = 10_000;
        var sequence = ZipfSequence(KeyCount, 0.9, 1 << 20, seed: 7);
        var keys = new string[KeyCount];
        for (var i = 0; i < KeyCount; i++)
        {
            keys[i] = "key-" + i.ToString(CultureInfo.InvariantCulture);
        }

        using var server = LocalRedisServer.Start();
        foreach (var localLevel in new[] { false, true })
        {
            var prefix = localLevel ? "mix-on:" : "mix-off:";
            await using var a = Create(server, localLevel, prefix);
            await using var b = Create(server, localLevel, prefix);
            var value = new string('x', 256);
            for (var i = 0; i < KeyCount; i++)
            {
                await a.SetAsync(keys[i], value, TimeSpan.FromHours(1), Tenant);
            }

            long operations = 0;
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var workers = new Task[callers];
            for (var w = 0; w < callers; w++)
            {
                var instance = w % 2 == 0 ? a : b;
                var start = w * 65_537;
                workers[w] = Task.Run(async () =>
                {
                    long done = 0;
                    var at = start;
                    while (!stop.IsCancellationRequested)
                    {
                        var key = keys[sequence[at++ & (sequence.Length - 1)]];
                        if (at % 20 == 0)
                        {
                            await instance.SetAsync(key, value, TimeSpan.FromHours(1), Tenant);
                        }
                        else
                        {
                            await instance.GetAsync<string>(key, Tenant);
                        }

                        done++;
                    }

                    Interlocked.Add(ref operations, done);
                });
            }

            await Task.WhenAll(workers);
            var stats = b.GetStats(Tenant);
            var whole = b.GetStats();
            output.WriteLine(
                $"95/5 mix, Zipf(0.9) over {KeyCount} keys, 2 instances x {callers / 2} async callers, local level {(localLevel ? "on " : "off")}: " +
                $"{operations / (double)seconds:N0} ops/s (instance B: {stats.LocalHits:N0} local hits, {stats.ServerHits:N0} server hits, {stats.Misses:N0} misses; backplane: {whole.BackplaneMessagesReceived:N0} received, {whole.BackplaneMessagesDropped:N0} dropped, {whole.LocalFlushes:N0} flushes)");
        }
    }

    private static CacheMechanism Create(LocalRedisServer server, bool localLevel, string prefix) =>
        new(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = server.Url, EnableLocalLevel = localLevel, KeyPrefix = prefix, OperationTimeout = TimeSpan.FromSeconds(5) });

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    /// <summary>Key indexes drawn Zipf(<paramref name="exponent"/>) over <paramref name="keyCount"/> keys (index 0 the most popular).</summary>
    private static int[] ZipfSequence(int keyCount, double exponent, int length, int seed)
    {
        var cumulative = new double[keyCount];
        var total = 0d;
        for (var i = 0; i < keyCount; i++)
        {
            total += 1 / Math.Pow(i + 1, exponent);
            cumulative[i] = total;
        }

        var random = new Random(seed);
        var sequence = new int[length];
        for (var i = 0; i < length; i++)
        {
            var index = Array.BinarySearch(cumulative, random.NextDouble() * total);
            sequence[i] = index < 0 ? Math.Min(~index, keyCount - 1) : index;
        }

        return sequence;
    }
}
