using System.Collections.Concurrent;
using System.Globalization;
using Motadata.Cache.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// <c>redis-cli --cluster reshard</c> moves about a third of the slots (keys and all) while several callers read,
/// write, delete and invalidate, recovery on: no exception reaches a caller, no read ever returns a value that was
/// replaced or invalidated, and afterwards every key holds its last written value or is absent only where the
/// caller was told a write failed or removed it last.
/// </summary>
public sealed class ClusterReshardTests(RedisClusterFixture fixture, ITestOutputHelper output) : MultiNodeTestsBase(fixture), IClassFixture<RedisClusterFixture>
{
    private const int Callers = 4;
    private const int Groups = 5;
    private const int KeysPerGroup = 10;
    private const int SlotsToMove = 16384 / 3;
    private const int Ballast = 5_000;
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);

    [Fact]
    public async Task WhenAThirdOfTheSlotsMoveUnderLoadNoCallerSeesAnErrorAndNoValueIsLostOrStale()
    {
        FailuresExpected = true; // Counted and reported below; what must hold is what callers see.
        var cache = CreateCache();
        var models = new CallerModel[Callers];
        for (var c = 0; c < Callers; c++)
        {
            // The last caller also invalidates (a removal waits while slots move); the others only set, get and delete.
            models[c] = new CallerModel($"tenant-{c}", invalidates: c == Callers - 1);
            await models[c].SeedAsync(cache);
        }

        // Ballast, so the reshard moves real data (and lasts long enough to overlap plenty of calls).
        var ballast = CreateCache(config => config.KeyPrefix = KeyPrefix + "ballast:");
        Assert.Equal(Ballast, await ballast.WarmCacheAsync(Enumerable.Range(0, Ballast).Select(i => KeyValuePair.Create($"b{i}", new string('x', 100))), s_ttl, "ballast"));

        var (sources, target) = await PlanAsync();
        var slotsBefore = await fixture.Cluster.SlotCountAsync(target);
        var started = DateTime.UtcNow;
        var errors = new ConcurrentQueue<string>();
        var reshard = fixture.Cluster.ReshardAsync(sources, target, SlotsToMove);
        var callers = models.Select((model, c) => Task.Run(() => model.RunAsync(cache, reshard, new Random(c), errors))).ToArray();
        await reshard;
        var reshardTook = DateTime.UtcNow - started;
        await Task.WhenAll(callers);
        await fixture.Cluster.WaitUntilReadyAsync();

        // redis-cli splits the slots among the sources in proportion, so the total can be off by one per source.
        Assert.InRange(await fixture.Cluster.SlotCountAsync(target) - slotsBefore, SlotsToMove - sources.Count, SlotsToMove + sources.Count);
        var report = $"reshard {reshardTook.TotalSeconds:F1} s: {string.Join(", ", models.Select(model => $"{model.Tenant} {model.OperationsDuringReshard} ({model.Describe()})"))}";
        output.WriteLine(report);
        Assert.True(
            models.All(model => model.OperationsDuringReshard >= (model.Invalidates ? 1 : 20)) && models[^1].InvalidationsDuringReshard >= 1,
            $"Too few operations overlapped the reshard: {report}.");
        Assert.True(errors.IsEmpty, $"{errors.Count} problem(s) during the reshard, first: {string.Join(" | ", errors.Take(5))}");

        await cache.WaitForRecoveryAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var reader = CreateCache(config => config.EnableRecovery = false);
        foreach (var model in models)
        {
            await model.VerifyAsync(cache, errors);
            await model.VerifyAsync(reader, errors);
        }

        Assert.True(errors.IsEmpty, $"{errors.Count} problem(s) after the reshard (backend failures {cache.BackendFailures}), first: {string.Join(" | ", errors.Take(5))}");
    }

    [Fact]
    public async Task WhenSlotsMoveDuringAnInvalidationEveryMatchingKeyIsStillRemovedAndCountedOnce()
    {
        const int Keys = 3_000;
        var cache = CreateCache(config => config.EnableRecovery = false); // Any failure reaches this test as an exception.
        var entries = Numbered("walk:", Keys).ToList();
        var ballast = CreateCache(config => config.KeyPrefix = KeyPrefix + "ballast:");
        Assert.Equal(Ballast, await ballast.WarmCacheAsync(Enumerable.Range(0, Ballast).Select(i => KeyValuePair.Create($"b{i}", i)), s_ttl, "ballast"));
        var (sources, target) = await PlanAsync();
        var rounds = 0;
        var reshard = fixture.Cluster.ReshardAsync(sources, target, SlotsToMove);
        while (!reshard.IsCompleted || rounds < 3)
        {
            Assert.Equal(Keys, await cache.WarmCacheAsync(entries, s_ttl, "walk"));

            Assert.Equal(Keys, await cache.InvalidateAsync("walk:*", "walk"));

            Assert.Equal(0, await CountAsync(NamespacePrefix("walk")));
            rounds++;
        }

        await reshard;
        Assert.True(rounds >= 3, $"Only {rounds} invalidation(s) ran.");
    }

    /// <summary>Moves slots to the node with the fewest from the others (tests of this class share one cluster, in any order).</summary>
    private async Task<(List<int> Sources, int Target)> PlanAsync()
    {
        var counts = new List<int>();
        for (var node = 0; node < fixture.Cluster.Nodes.Count; node++)
        {
            counts.Add(await fixture.Cluster.SlotCountAsync(node));
        }

        var target = counts.IndexOf(counts.Min());
        return ([.. Enumerable.Range(0, counts.Count).Where(node => node != target)], target);
    }

    /// <summary>
    /// One caller's keys and what it knows of them. A key's possible values: its last acknowledged version, or any
    /// version whose write was refused after it (recovery may or may not have kept it: none is stale), or absent
    /// when nothing was acknowledged since it was created, deleted or invalidated, or a refused write since.
    /// </summary>
    private sealed class CallerModel(string tenant, bool invalidates)
    {
        private readonly Dictionary<string, KeyState> _keys = [];
        private long _version;

        public string Tenant => tenant;

        public bool Invalidates => invalidates;

        public int InvalidationsDuringReshard => _counts[3];

        public int OperationsDuringReshard { get; private set; }

        private readonly long[] _ticks = new long[4];
        private readonly int[] _counts = new int[4];

        private readonly long[] _maxTicks = new long[4];

        /// <summary>Operations started while slots moved, by kind: count, mean and longest time.</summary>
        public string Describe() => string.Join(
            " ",
            new[] { "set", "get", "delete", "invalidate" }.Select((name, i) => $"{name} {_counts[i]}x mean {(_counts[i] == 0 ? 0 : _ticks[i] / _counts[i] / 10_000)} ms max {_maxTicks[i] / 10_000} ms"));

        public async Task SeedAsync(CacheMechanism cache)
        {
            var entries = new List<KeyValuePair<string, long>>();
            for (var g = 0; g < Groups; g++)
            {
                for (var k = 0; k < KeysPerGroup; k++)
                {
                    var key = $"g{g}:k{k}";
                    entries.Add(KeyValuePair.Create(key, ++_version));
                    _keys[key] = new KeyState { Acknowledged = _version };
                }
            }

            Assert.Equal(entries.Count, await cache.WarmCacheAsync(entries, s_ttl, tenant));
        }

        public async Task RunAsync(CacheMechanism cache, Task reshard, Random random, ConcurrentQueue<string> errors)
        {
            // Runs until the reshard ends, and at least a few hundred operations.
            for (var done = 0; !reshard.IsCompleted || done < 300; done++)
            {
                var group = random.Next(Groups);
                var key = $"g{group}:k{random.Next(KeysPerGroup)}";
                var state = _keys[key];
                var dice = invalidates ? random.Next(100) : random.Next(95);
                var during = !reshard.IsCompleted;
                var kind = dice < 45 ? 0 : dice < 90 ? 1 : dice < 95 ? 2 : 3;
                var opStarted = DateTime.UtcNow.Ticks;
                try
                {
                    if (dice < 45)
                    {
                        var version = ++_version;
                        if (await cache.SetAsync(key, version, s_ttl, tenant))
                        {
                            state.Acknowledged = version;
                            state.Refused.Clear();
                        }
                        else
                        {
                            state.Refused.Add(version);
                        }
                    }
                    else if (dice < 90)
                    {
                        var value = await cache.GetAsync<long?>(key, tenant);
                        if (value is { } seen && !state.Allows(seen))
                        {
                            errors.Enqueue($"{tenant}/{key}: read {seen} while allowed were {state}");
                        }
                    }
                    else if (dice < 95)
                    {
                        await cache.DeleteAsync(key, tenant);
                        state.Remove();
                    }
                    else
                    {
                        await cache.InvalidateAsync($"g{group}:*", tenant);
                        foreach (var (name, other) in _keys)
                        {
                            if (name.StartsWith($"g{group}:", StringComparison.Ordinal))
                            {
                                other.Remove();
                            }
                        }
                    }
                }
#pragma warning disable CA1031 // Recorded: no exception may reach a caller.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    errors.Enqueue($"{tenant}/{key}: {exception.GetType().Name}: {exception.Message}");
                }

                if (during)
                {
                    // Counted by when it started: a removal may wait for the slots to settle.
                    var took = DateTime.UtcNow.Ticks - opStarted;
                    OperationsDuringReshard++;
                    _ticks[kind] += took;
                    _maxTicks[kind] = Math.Max(_maxTicks[kind], took);
                    _counts[kind]++;
                }
            }
        }

        public async Task VerifyAsync(CacheMechanism cache, ConcurrentQueue<string> errors)
        {
            foreach (var (key, state) in _keys)
            {
                var value = await cache.GetAsync<long?>(key, tenant);
                if (value is { } seen ? !state.Allows(seen) : !state.AllowsAbsent)
                {
                    errors.Enqueue($"{tenant}/{key}: finally {(value is { } v ? v.ToString(CultureInfo.InvariantCulture) : "absent")} while allowed were {state}");
                }
            }
        }
    }

    private sealed class KeyState
    {
        /// <summary>The last version the cache acknowledged writing; null when removed (deleted or invalidated) since.</summary>
        public long? Acknowledged { get; set; }

        /// <summary>Versions whose write returned false since <see cref="Acknowledged"/>.</summary>
        public List<long> Refused { get; } = [];

        public bool AllowsAbsent => Acknowledged is null || Refused.Count > 0;

        /// <summary>After a refused write the acknowledged version is what the caller meant to replace: stale (as recovery promises).</summary>
        public bool Allows(long value) => Refused.Count > 0 ? Refused.Contains(value) : value == Acknowledged;

        public void Remove()
        {
            Acknowledged = null;
            Refused.Clear();
        }

        public override string ToString() => $"acknowledged {(Acknowledged is { } version ? version.ToString(CultureInfo.InvariantCulture) : "none (removed)")}, refused [{string.Join(", ", Refused)}]";
    }
}
