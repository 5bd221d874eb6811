using BenchmarkDotNet.Attributes;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Cluster;

/// <summary>
/// Reads of 512-byte values by 64 concurrent async callers against a three-primary Redis Cluster started in the global
/// setup: our <c>GetAsync</c> (recovery on, the default, and off) vs raw StackExchange.Redis <c>StringGetAsync</c> on
/// the same cluster (the baseline; target: ours at least 0.9x its throughput, a time ratio at most 1.11). Keys spread
/// over every primary. The figure is time per read over all callers: throughput is its inverse.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class ClusterGetBenchmarks
{
    public const int Callers = 64;
    public const int ReadsPerCaller = 50;
    public const int Reads = Callers * ReadsPerCaller;
    public const int KeyCount = 1_000;
    private const string Tenant = "tenant-1";
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);

    private LocalServers _servers = null!;
    private CacheMechanism _oursRecoveryOn = null!;
    private CacheMechanism _oursRecoveryOff = null!;
    private ConnectionMultiplexer _raw = null!;
    private IDatabase _rawDatabase = null!;
    private string[] _keys = null!;
    private RedisKey[] _rawKeys = null!;
    private Task[] _callers = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _servers = LocalServers.Start(Topology.Cluster3);
        _oursRecoveryOn = new CacheMechanism(_servers.Configure(new CacheConfig { KeyPrefix = "on:" }));
        _oursRecoveryOff = new CacheMechanism(_servers.Configure(new CacheConfig { KeyPrefix = "off:", EnableRecovery = false }));
        _raw = _servers.Connect();
        _rawDatabase = _raw.GetDatabase();

        var value = new byte[512];
        new Random(7).NextBytes(value);
        _keys = new string[KeyCount];
        _rawKeys = new RedisKey[KeyCount];
        var pending = new List<Task>();
        for (var i = 0; i < KeyCount; i++)
        {
            _keys[i] = $"key-{i}";
            _rawKeys[i] = $"raw:{Tenant}:key-{i}";
            pending.Add(_rawDatabase.StringSetAsync(_rawKeys[i], value, s_ttl));
        }

        await Task.WhenAll(pending);
        var entries = _keys.Select(key => KeyValuePair.Create(key, value)).ToList();
        if (await _oursRecoveryOn.WarmCacheAsync(entries, s_ttl, Tenant) != KeyCount || await _oursRecoveryOff.WarmCacheAsync(entries, s_ttl, Tenant) != KeyCount)
        {
            throw new InvalidOperationException("The warm did not store every key.");
        }

        _callers = new Task[Callers];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _oursRecoveryOn.Dispose();
        _oursRecoveryOff.Dispose();
        _raw.Dispose();
        _servers.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Reads)]
    public Task GetAsync_Motadata_RecoveryOn() => Run(static (self, caller) => self.OursCaller(self._oursRecoveryOn, caller));

    [Benchmark(OperationsPerInvoke = Reads)]
    public Task GetAsync_Motadata_RecoveryOff() => Run(static (self, caller) => self.OursCaller(self._oursRecoveryOff, caller));

    [Benchmark(Baseline = true, OperationsPerInvoke = Reads)]
    public Task StringGetAsync_StackExchangeRedis() => Run(static (self, caller) => self.RawCaller(caller));

    private Task Run(Func<ClusterGetBenchmarks, int, Task> caller)
    {
        for (var i = 0; i < Callers; i++)
        {
            _callers[i] = caller(this, i);
        }

        return Task.WhenAll(_callers);
    }

    private async Task OursCaller(CacheMechanism cache, int caller)
    {
        await Task.Yield();
        for (var i = 0; i < ReadsPerCaller; i++)
        {
            if (await cache.GetAsync<byte[]>(_keys[((caller * ReadsPerCaller) + i) % KeyCount], Tenant) is null)
            {
                throw new InvalidOperationException("Unexpected miss.");
            }
        }
    }

    private async Task RawCaller(int caller)
    {
        await Task.Yield();
        for (var i = 0; i < ReadsPerCaller; i++)
        {
            if ((await _rawDatabase.StringGetAsync(_rawKeys[((caller * ReadsPerCaller) + i) % KeyCount])).IsNull)
            {
                throw new InvalidOperationException("Unexpected miss.");
            }
        }
    }
}
