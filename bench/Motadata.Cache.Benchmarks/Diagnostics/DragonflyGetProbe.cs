using System.Diagnostics;
using Motadata.Cache.Benchmarks.Dragonfly;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Diagnostics;

/// <summary>
/// <c>-- dfprobe</c>: the client's CPU time per read (this process's user+system time, so the redis-server process
/// and other machines' load do not count) for our <c>GetAsync</c> vs raw <c>StringGetAsync</c>, 64 callers, 512 B,
/// the best of several rounds. On a 2-core machine the client's CPU per read bounds the throughput: the server needs
/// the other core. Diagnostics, not the figures of record.
/// </summary>
public static class DragonflyGetProbe
{
    private const int Callers = 64;
    private const int ReadsPerCaller = 500;
    private const int DefaultRounds = 7;

    public static async Task RunAsync(TextWriter output, string? only = null, int rounds = DefaultRounds)
    {
        using var server = LocalRedisServer.Start();
        using var ours = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = server.Url, EnableRecovery = false });
        using var oursRecoveryOn = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = server.Url, KeyPrefix = "on:" });
        using var oursValidationOff = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = server.Url, EnableRecovery = false, EnableValidation = false, KeyPrefix = "nv:" });
        using var raw = server.Connect();
        var database = raw.GetDatabase();
        var value = new byte[512];
        await ours.SetAsync("key", value, TimeSpan.FromHours(1), "tenant-1");
        await oursRecoveryOn.SetAsync("key", value, TimeSpan.FromHours(1), "tenant-1");
        await oursValidationOff.SetAsync("key", value, TimeSpan.FromHours(1), "tenant-1");
        var storeConfig = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = server.Url, EnableRecovery = false, KeyPrefix = "st:" };
        using var store = new Motadata.Cache.Stores.Backends.Dragonfly.DragonflyStore(storeConfig, new Motadata.Cache.Stats.CacheCounters());
        var storeKey = new Motadata.Cache.Keys.CacheKey("tenant-1", "key");
        await store.WriteAsync(storeKey, value, TimeSpan.FromHours(1), CancellationToken.None);
        RedisKey rawKey = "raw:tenant-1:key";
        await database.StringSetAsync(rawKey, value, TimeSpan.FromHours(1));

        var variants = new (string Name, Func<Task> Read)[]
        {
            ("raw StringGetAsync", async () => { if ((await database.StringGetAsync(rawKey)).IsNull) { throw new InvalidOperationException("miss"); } }),
            ("raw StringGetLeaseAsync", async () => { using var lease = await database.StringGetLeaseAsync(rawKey); if (lease is null) { throw new InvalidOperationException("miss"); } }),
            ("DragonflyStore.ReadAsync (no facade)", async () => { if (!(await store.ReadAsync<byte[]>(storeKey, CancellationToken.None)).Found) { throw new InvalidOperationException("miss"); } }),
            ("ours GetAsync<byte[]>", async () => { if (await ours.GetAsync<byte[]>("key", "tenant-1") is null) { throw new InvalidOperationException("miss"); } }),
            ("ours GetAsync<byte[]>, recovery on", async () => { if (await oursRecoveryOn.GetAsync<byte[]>("key", "tenant-1") is null) { throw new InvalidOperationException("miss"); } }),
            ("ours GetAsync<byte[]>, validation off", async () => { if (await oursValidationOff.GetAsync<byte[]>("key", "tenant-1") is null) { throw new InvalidOperationException("miss"); } }),
        };

        if (only is not null)
        {
            variants = [.. variants.Where(v => v.Name.Equals(only, StringComparison.OrdinalIgnoreCase))];
        }

        var bestCpu = new double[variants.Length];
        var bestWall = new double[variants.Length];
        var bestAllocated = new double[variants.Length];
        Array.Fill(bestAllocated, double.MaxValue);
        Array.Fill(bestCpu, double.MaxValue);
        Array.Fill(bestWall, double.MaxValue);
        using var process = Process.GetCurrentProcess();
        for (var round = 0; round < rounds; round++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                var read = variants[v].Read;
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                var start = Stopwatch.GetTimestamp();
                var callers = new Task[Callers];
                for (var c = 0; c < Callers; c++)
                {
                    callers[c] = Task.Run(async () =>
                    {
                        for (var i = 0; i < ReadsPerCaller; i++)
                        {
                            await read();
                        }
                    });
                }

                await Task.WhenAll(callers);
                var wall = Stopwatch.GetElapsedTime(start);
                process.Refresh();
                var cpu = process.TotalProcessorTime - cpuBefore;
                var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                const double reads = Callers * ReadsPerCaller;
                bestCpu[v] = Math.Min(bestCpu[v], cpu.TotalMicroseconds / reads);
                bestWall[v] = Math.Min(bestWall[v], wall.TotalMicroseconds / reads);
                bestAllocated[v] = Math.Min(bestAllocated[v], allocated / reads);
            }
        }

        output.WriteLine($"Best of {rounds} rounds, {Callers} callers x {ReadsPerCaller} reads of 512 B:");
        for (var v = 0; v < variants.Length; v++)
        {
            output.WriteLine($"  {variants[v].Name,-42} client CPU {bestCpu[v],6:F2} us/read   wall {bestWall[v],6:F2} us/read   allocated {bestAllocated[v],5:F0} B/read");
        }
    }
}
