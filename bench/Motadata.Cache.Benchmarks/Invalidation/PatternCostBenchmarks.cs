using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Motadata.Cache.Benchmarks.Dragonfly;

namespace Motadata.Cache.Benchmarks.Invalidation;

/// <summary>
/// The worst case of a glob pattern (hardening issue F2): 2,000 keys of about 1,000 characters in one tenant, and
/// <c>Invalidate("*" + 1022 x "a" + "b")</c>, which Redis's backtracking matcher (and our matcher before the fix)
/// pays pattern x key length per key for. Beside it, a pattern with a 500-character run between stars (the worst for
/// the linear matcher: eight 64-bit words of state per byte), and the cheap case as the baseline: a literal prefix
/// and a star. None of them matches a key, so every iteration does the same work. Public API only, so the same file
/// measures the code before the fix.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class PatternCostBenchmarks
{
    private const string Tenant = "acme";
    private static readonly string s_reported = "*" + new string('a', 1022) + "b";
    private static readonly string s_longRun = "*" + new string('a', 500) + "b*";

    private LocalRedisServer? _server;
    private CacheMechanism _cache = null!;

    [Params("memory", "dragonfly")]
    public string Backend { get; set; } = "memory";

    [GlobalSetup]
    public async Task Setup()
    {
        CacheConfig config;
        if (Backend == "dragonfly")
        {
            _server = LocalRedisServer.Start();
            config = new CacheConfig
            {
                Backend = CacheBackend.Dragonfly,
                DragonflyUrl = _server.Url,
                EnableRecovery = false,
                OperationTimeout = TimeSpan.FromMinutes(5),
            };
        }
        else
        {
            config = new CacheConfig { MaxSize = 10_000 };
        }

        _cache = new CacheMechanism(config);
        var filler = new string('a', 990);
        var entries = Enumerable.Range(0, 2_000).Select(i => KeyValuePair.Create(filler + i.ToString("D10", System.Globalization.CultureInfo.InvariantCulture), "v")).ToList();
        await _cache.WarmCacheAsync(entries, TimeSpan.FromHours(1), Tenant);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _cache.DisposeAsync();
        _server?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public ValueTask<long> LiteralPrefix() => _cache.InvalidateAsync("zzz*", Tenant);

    [Benchmark]
    public ValueTask<long> ReportedPattern() => _cache.InvalidateAsync(s_reported, Tenant);

    [Benchmark]
    public ValueTask<long> LongRunBetweenStars() => _cache.InvalidateAsync(s_longRun, Tenant);
}
