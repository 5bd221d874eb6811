using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Dragonfly;

/// <summary>
/// Reads of 512-byte values by 64 concurrent async callers against one local redis-server (started in the global
/// setup): our <c>GetAsync</c> (recovery off, and on, which is the default; and the default with read batching off) vs raw StackExchange.Redis
/// <c>StringGetAsync</c> (the baseline, target: ours at least 0.9x its throughput, i.e. a time ratio at most 1.11) and
/// <c>RedisCache.GetAsync</c> (target: ours at least 1.2x its throughput). The figure is time per read over all
/// callers: throughput is its inverse.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class DragonflyGetBenchmarks
{
    public const int Callers = 64;
    public const int ReadsPerCaller = 50;
    public const int Reads = Callers * ReadsPerCaller;
    public const int KeyCount = 1_000;
    public const int ValueBytes = 512;
    private const string Tenant = "tenant-1";

    private LocalRedisServer _server = null!;
    private CacheMechanism _oursRecoveryOff = null!;
    private CacheMechanism _oursRecoveryOn = null!;
    private CacheMechanism _oursUnbatched = null!;
    private ConnectionMultiplexer _raw = null!;
    private IDatabase _rawDatabase = null!;
    private RedisCache _redisCache = null!;
    private string[] _keys = null!;
    private RedisKey[] _rawKeys = null!;
    private string[] _redisCacheKeys = null!;
    private Task[] _callers = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _server = LocalRedisServer.Start();
        _oursRecoveryOff = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = _server.Url, EnableRecovery = false, KeyPrefix = "off:" });
        _oursRecoveryOn = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = _server.Url, EnableRecovery = true, KeyPrefix = "on:" });
        _oursUnbatched = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = _server.Url, EnableReadBatching = false, KeyPrefix = "nb:" });
        _raw = _server.Connect();
        _rawDatabase = _raw.GetDatabase();
        _redisCache = new RedisCache(new RedisCacheOptions { Configuration = _server.EndPoint, InstanceName = "rc:" });

        var value = new byte[ValueBytes];
        new Random(7).NextBytes(value);
        _keys = new string[KeyCount];
        _rawKeys = new RedisKey[KeyCount];
        _redisCacheKeys = new string[KeyCount];
        var entryOptions = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) };
        for (var i = 0; i < KeyCount; i++)
        {
            _keys[i] = $"key-{i}";
            _rawKeys[i] = $"raw:{Tenant}:key-{i}";
            _redisCacheKeys[i] = $"{Tenant}:key-{i}";
            await _oursRecoveryOff.SetAsync(_keys[i], value, TimeSpan.FromHours(1), Tenant);
            await _oursRecoveryOn.SetAsync(_keys[i], value, TimeSpan.FromHours(1), Tenant);
            await _oursUnbatched.SetAsync(_keys[i], value, TimeSpan.FromHours(1), Tenant);
            await _rawDatabase.StringSetAsync(_rawKeys[i], value, TimeSpan.FromHours(1));
            await _redisCache.SetAsync(_redisCacheKeys[i], value, entryOptions);
        }

        // Every reader must find its value, or the benchmark would compare misses.
        var check = await _oursRecoveryOff.GetAsync<byte[]>(_keys[0], Tenant);
        var checkOn = await _oursRecoveryOn.GetAsync<byte[]>(_keys[0], Tenant);
        var checkUnbatched = await _oursUnbatched.GetAsync<byte[]>(_keys[0], Tenant);
        var checkRedisCache = await _redisCache.GetAsync(_redisCacheKeys[0]);
        if (check?.Length != ValueBytes || checkOn?.Length != ValueBytes || checkUnbatched?.Length != ValueBytes || checkRedisCache?.Length != ValueBytes)
        {
            throw new InvalidOperationException("A warmed value was not read back.");
        }

        _callers = new Task[Callers];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _oursRecoveryOff.Dispose();
        _oursRecoveryOn.Dispose();
        _oursUnbatched.Dispose();
        _redisCache.Dispose();
        _raw.Dispose();
        _server.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Reads)]
    public Task GetAsync_Motadata_RecoveryOff() => Run(static (self, caller) => self.OursCaller(self._oursRecoveryOff, caller));

    [Benchmark(OperationsPerInvoke = Reads)]
    public Task GetAsync_Motadata_RecoveryOn() => Run(static (self, caller) => self.OursCaller(self._oursRecoveryOn, caller));

    /// <summary>The default (recovery on) with <see cref="CacheConfig.EnableReadBatching"/> off: one <c>GET</c> per read.</summary>
    [Benchmark(OperationsPerInvoke = Reads)]
    public Task GetAsync_Motadata_Unbatched() => Run(static (self, caller) => self.OursCaller(self._oursUnbatched, caller));

    [Benchmark(Baseline = true, OperationsPerInvoke = Reads)]
    public Task StringGetAsync_StackExchangeRedis() => Run(static (self, caller) => self.RawCaller(caller));

    [Benchmark(OperationsPerInvoke = Reads)]
    public Task GetAsync_RedisCache() => Run(static (self, caller) => self.RedisCacheCaller(caller));

    private Task Run(Func<DragonflyGetBenchmarks, int, Task> caller)
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
            var value = await cache.GetAsync<byte[]>(_keys[((caller * ReadsPerCaller) + i) % KeyCount], Tenant);
            if (value is null)
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
            var value = await _rawDatabase.StringGetAsync(_rawKeys[((caller * ReadsPerCaller) + i) % KeyCount]);
            if (value.IsNull)
            {
                throw new InvalidOperationException("Unexpected miss.");
            }
        }
    }

    private async Task RedisCacheCaller(int caller)
    {
        await Task.Yield();
        for (var i = 0; i < ReadsPerCaller; i++)
        {
            var value = await _redisCache.GetAsync(_redisCacheKeys[((caller * ReadsPerCaller) + i) % KeyCount]);
            if (value is null)
            {
                throw new InvalidOperationException("Unexpected miss.");
            }
        }
    }
}
