using System.Diagnostics;
using System.Globalization;

namespace Motadata.Cache.Benchmarks.Cluster;

/// <summary>
/// <c>-- scaleout</c>: the read-heavy mix (<see cref="ReadHeavyMix"/>, 64 callers) run for a few seconds on one
/// node, a three-primary cluster and three sharded nodes, ours and raw StackExchange.Redis, with the CPU each process
/// used meanwhile: this process (the client: user + system time) and every redis-server (from /proc/PID/stat), as a
/// share of one core. On a two-core machine the sum cannot pass 200%, so the report shows whether the client or the
/// servers use the cores. Diagnostics beside the BenchmarkDotNet figures, not figures of record.
/// </summary>
public static class ScaleOutLoadReport
{
    private const int Callers = 64;
    private const int OperationsPerCaller = 500;
    private static readonly TimeSpan s_duration = TimeSpan.FromSeconds(4);

    public static async Task RunAsync(TextWriter output)
    {
        output.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
        output.WriteLine("topology  | client  | ops/s    | client CPU | server CPU (each)          | total CPU");
        foreach (var topology in Enum.GetValues<Topology>())
        {
            using var mix = new ReadHeavyMix(topology);
            await mix.FillAsync();
            foreach (var (client, run) in new (string, Func<Task>)[] { ("ours", () => mix.RunOursAsync(Callers, OperationsPerCaller)), ("raw", () => mix.RunRawAsync(Callers, OperationsPerCaller)) })
            {
                await run(); // warm up
                var (operationsPerSecond, clientCpu, serverCpu) = await MeasureAsync(mix.Servers, run);
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{topology,-9} | {client,-7} | {operationsPerSecond,8:F0} | {clientCpu,9:F0}% | {string.Join(" + ", serverCpu.Select(cpu => $"{cpu:F0}%")),-26} | {clientCpu + serverCpu.Sum():F0}%"));
            }
        }

        output.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static async Task<(double OperationsPerSecond, double ClientCpu, double[] ServerCpu)> MeasureAsync(LocalServers servers, Func<Task> run)
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var clientBefore = self.TotalProcessorTime;
        var serversBefore = servers.ProcessIds.Select(ProcessCpuSeconds).ToArray();
        var clock = Stopwatch.StartNew();
        long operations = 0;
        while (clock.Elapsed < s_duration)
        {
            await run();
            operations += Callers * OperationsPerCaller;
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        self.Refresh();
        var clientCpu = (self.TotalProcessorTime - clientBefore).TotalSeconds / elapsed * 100;
        var serverCpu = servers.ProcessIds.Select((pid, i) => (ProcessCpuSeconds(pid) - serversBefore[i]) / elapsed * 100).ToArray();
        return (operations / elapsed, clientCpu, serverCpu);
    }

    /// <summary>User + system CPU seconds of a process (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s).</summary>
    private static double ProcessCpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

        // After "pid (comm) ", field 3 (state) is index 0, so utime (14) and stime (15) are indexes 11 and 12.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
