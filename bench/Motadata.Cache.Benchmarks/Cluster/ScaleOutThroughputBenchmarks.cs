using BenchmarkDotNet.Attributes;
using StackExchange.Redis;

namespace Motadata.Cache.Benchmarks.Cluster;

/// <summary>
/// A read-heavy mix (90% <c>GetAsync</c>, 10% <c>SetAsync</c> of 512-byte values over 10,000 keys, all hits) by 64
/// concurrent async callers, on one node, a three-primary cluster and three sharded independent nodes (recovery on):
/// ours vs raw StackExchange.Redis doing the same calls on the same servers (the baseline; on independent nodes the
/// raw client picks a node per key by index). Time per operation over all callers: throughput is its inverse. On this
/// two-core machine the servers and the client share the cores, so more nodes add server capacity but no core
/// (see the <c>-- scaleout</c> report for where the CPU goes).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
public class ScaleOutThroughputBenchmarks
{
    public const int Callers = 64;
    public const int OperationsPerCaller = 100;
    public const int Operations = Callers * OperationsPerCaller;

    private ReadHeavyMix _mix = null!;

    [Params(Topology.OneNode, Topology.Cluster3, Topology.Sharded3)]
    public Topology Topology { get; set; }

    [GlobalSetup]
    public Task Setup()
    {
        _mix = new ReadHeavyMix(Topology);
        return _mix.FillAsync();
    }

    [GlobalCleanup]
    public void Cleanup() => _mix.Dispose();

    [Benchmark(OperationsPerInvoke = Operations)]
    public Task ReadHeavyMix_Motadata() => _mix.RunOursAsync(Callers, OperationsPerCaller);

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public Task ReadHeavyMix_StackExchangeRedis() => _mix.RunRawAsync(Callers, OperationsPerCaller);
}
