using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Cluster;

/// <summary>
/// The read-heavy mix of the scale-out throughput figures: 90% reads and 10% writes of 512-byte values over 10,000
/// keys (every read a hit), by concurrent async callers, through our cache (recovery on) or raw StackExchange.Redis
/// on the same servers.
/// </summary>
public sealed class ReadHeavyMix : IDisposable
{
    public const int KeyCount = 10_000;
    private const string Tenant = "tenant-1";
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);

    private readonly CacheMechanism _ours;
    private readonly ConnectionMultiplexer[] _raw;
    private readonly IDatabase[] _rawDatabases;
    private readonly string[] _keys = new string[KeyCount];
    private readonly RedisKey[] _rawKeys = new RedisKey[KeyCount];
    private readonly byte[] _value = new byte[512];

    public ReadHeavyMix(Topology topology)
    {
        Servers = LocalServers.Start(topology);
        _ours = new CacheMechanism(Servers.Configure(new CacheConfig()));
        _raw = topology == Topology.Sharded3 ? Servers.ConnectEach() : [Servers.Connect()];
        _rawDatabases = [.. _raw.Select(raw => raw.GetDatabase())];
        new Random(7).NextBytes(_value);
        for (var i = 0; i < KeyCount; i++)
        {
            _keys[i] = $"key-{i}";
            _rawKeys[i] = $"raw:{Tenant}:key-{i}";
        }
    }

    public LocalServers Servers { get; }

    public async Task FillAsync()
    {
        if (await _ours.WarmCacheAsync(_keys.Select(key => KeyValuePair.Create(key, _value)), s_ttl, Tenant) != KeyCount)
        {
            throw new InvalidOperationException("The warm did not store every key.");
        }

        var pending = new Task[KeyCount];
        for (var i = 0; i < KeyCount; i++)
        {
            pending[i] = _rawDatabases[i % _rawDatabases.Length].StringSetAsync(_rawKeys[i], _value, s_ttl);
        }

        await Task.WhenAll(pending);
    }

    public Task RunOursAsync(int callers, int operationsPerCaller) => RunAsync(callers, caller => OursCaller(caller, operationsPerCaller));

    public Task RunRawAsync(int callers, int operationsPerCaller) => RunAsync(callers, caller => RawCaller(caller, operationsPerCaller));

    public void Dispose()
    {
        _ours.Dispose();
        foreach (var raw in _raw)
        {
            raw.Dispose();
        }

        Servers.Dispose();
    }

    private static Task RunAsync(int callers, Func<int, Task> caller)
    {
        var tasks = new Task[callers];
        for (var i = 0; i < callers; i++)
        {
            tasks[i] = caller(i);
        }

        return Task.WhenAll(tasks);
    }

    // Key i of operation j of a caller: spread so callers rarely touch the same key at once; every tenth a write.
    private static int KeyOf(int caller, int operation) => (int)(((uint)caller * 7919u + (uint)operation * 104_729u) % KeyCount);

    private async Task OursCaller(int caller, int operations)
    {
        await Task.Yield();
        for (var j = 0; j < operations; j++)
        {
            var key = _keys[KeyOf(caller, j)];
            if (j % 10 == 9)
            {
                await _ours.SetAsync(key, _value, s_ttl, Tenant);
            }
            else if (await _ours.GetAsync<byte[]>(key, Tenant) is null)
            {
                throw new InvalidOperationException("Unexpected miss.");
            }
        }
    }

    private async Task RawCaller(int caller, int operations)
    {
        await Task.Yield();
        for (var j = 0; j < operations; j++)
        {
            var index = KeyOf(caller, j);
            var database = _rawDatabases[index % _rawDatabases.Length];
            if (j % 10 == 9)
            {
                await database.StringSetAsync(_rawKeys[index], _value, s_ttl);
            }
            else if ((await database.StringGetAsync(_rawKeys[index])).IsNull)
            {
                throw new InvalidOperationException("Unexpected miss.");
            }
        }
    }
}
