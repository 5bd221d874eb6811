using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.Tests.Model;

/// <summary>
/// Model-based property test: random sequences of Set/Get/Delete/Invalidate/Clear/WarmCache/advance-time over a
/// few tenants and keys run against the memory backend and against a plain dictionary that says what the answer
/// must be. Every read, every returned count and every statistic must equal the model's. MaxSize is large enough that
/// nothing is evicted; the expiry scan runs every second of fake time, so Size is exact too.
/// </summary>
public sealed class CacheModelPropertyTests
{
    private const int DefaultTtlSeconds = 3;
    private static readonly string?[] s_tenants = [null, "a", "a:b"];
    private static readonly string[] s_keys = ["k1", "k2", "k12", "k3", "x1", "*"];

    // Each pattern with a matcher written by hand, so the model does not borrow the code under test.
    private static readonly (string Pattern, Func<string, bool> Matches)[] s_patterns =
    [
        ("*", _ => true),
        ("k?", k => k.Length == 2 && k[0] == 'k'),
        ("k[12]", k => k is "k1" or "k2"),
        ("k1*", k => k.StartsWith("k1", StringComparison.Ordinal)),
        ("k3", k => k == "k3"),
        ("[^k]*", k => k[0] != 'k'),
        ("\\*", k => k == "*"),
        ("*1", k => k.EndsWith('1')),
    ];

    private static readonly Gen<Operation> s_operation = Gen.Frequency(
        (6, from t in Gen.Choose(0, 2) from k in Gen.Elements(s_keys) from v in Gen.Choose(0, 1000) from ttl in Gen.Elements<int?>(null, 0, 1, 2, 5)
            select (Operation)new SetOperation(t, k, v, ttl)),
        (6, from t in Gen.Choose(0, 2) from k in Gen.Elements(s_keys) select (Operation)new GetOperation(t, k)),
        (2, from t in Gen.Choose(0, 2) from k in Gen.Elements(s_keys) select (Operation)new DeleteOperation(t, k)),
        (2, from t in Gen.Choose(0, 2) from p in Gen.Choose(0, s_patterns.Length - 1) select (Operation)new InvalidateOperation(t, p)),
        // Clear(null) clears everything, so the global namespace alone cannot be cleared: -1 stands for "everything".
        (1, from t in Gen.Elements(-1, 1, 2) select (Operation)new ClearOperation(t)),
        (1, from t in Gen.Choose(0, 2) from n in Gen.Choose(0, 3) from v in Gen.Choose(0, 1000) select (Operation)new WarmOperation(t, n, v)),
        (3, from s in Gen.Choose(1, 3) select (Operation)new AdvanceOperation(s)));

    [Property(MaxTest = 200)]
    public Property WhenRandomOperationsRunTheCacheAgreesWithTheModel()
    {
        var operations = Arb.From(
            Gen.Choose(1, 80).SelectMany(n => Gen.ArrayOf(s_operation, n)),
            ops => Enumerable.Range(0, ops.Length).Select(i => ops.Where((_, j) => j != i).ToArray()));
        return Prop.ForAll(operations, ops => Run(ops));
    }

    private static void Run(Operation[] operations)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var cache = new CacheMechanism(new CacheConfig
        {
            MaxSize = 1000,
            Ttl = TimeSpan.FromSeconds(DefaultTtlSeconds),
            ExpirationScanInterval = TimeSpan.FromSeconds(1),
            TimeProvider = time,
        });
        var model = new Dictionary<(string? Tenant, string Key), (int Value, long ExpiresAt)>();
        var hits = new long[s_tenants.Length];
        var misses = new long[s_tenants.Length];
        long now = 0;

        bool IsLive((int Value, long ExpiresAt) entry) => entry.ExpiresAt > now;

        void Store(string? tenant, string key, int value, int? ttlSeconds) =>
            model[(tenant, key)] = (value, ttlSeconds switch
            {
                null => now + DefaultTtlSeconds,
                0 => long.MaxValue,
                { } seconds => now + seconds,
            });

        long RemoveWhere(Func<(string? Tenant, string Key), bool> predicate)
        {
            var doomed = model.Where(p => predicate(p.Key) && IsLive(p.Value)).Select(p => p.Key).ToList();
            foreach (var key in doomed)
            {
                model.Remove(key);
            }

            return doomed.Count;
        }

        for (var step = 0; step < operations.Length; step++)
        {
            var where = $"step {step} ({operations[step]})";
            switch (operations[step])
            {
                case SetOperation(var t, var key, var value, var ttl):
                    Assert.True(cache.Set(key, value, ttl switch { null => null, 0 => Timeout.InfiniteTimeSpan, { } s => TimeSpan.FromSeconds(s) }, s_tenants[t]), where);
                    Store(s_tenants[t], key, value, ttl);
                    break;
                case GetOperation(var t, var key):
                    var expectedFound = model.TryGetValue((s_tenants[t], key), out var entry) && IsLive(entry);
                    var found = cache.TryGet<int>(key, out var actual, s_tenants[t]);
                    Assert.True(expectedFound == found, $"{where}: expected found={expectedFound}, was {found}");
                    if (found)
                    {
                        Assert.True(entry.Value == actual, $"{where}: expected {entry.Value}, was {actual}");
                        hits[t]++;
                    }
                    else
                    {
                        misses[t]++;
                    }

                    break;
                case DeleteOperation(var t, var key):
                    var expectedDeleted = RemoveWhere(k => k == (s_tenants[t], key)) == 1;
                    Assert.True(expectedDeleted == cache.Delete(key, s_tenants[t]), where);
                    break;
                case InvalidateOperation(var t, var p):
                    var (pattern, matches) = s_patterns[p];
                    var expectedInvalidated = RemoveWhere(k => k.Tenant == s_tenants[t] && matches(k.Key));
                    Assert.Equal(expectedInvalidated, cache.Invalidate(pattern, s_tenants[t]));
                    break;
                case ClearOperation(var t):
                    var tenant = t < 0 ? null : s_tenants[t];
                    var expectedCleared = t < 0 ? RemoveWhere(_ => true) : RemoveWhere(k => k.Tenant == tenant);
                    Assert.True(expectedCleared == (t < 0 ? cache.Clear() : cache.Clear(tenant)), $"{where}: expected {expectedCleared} cleared");
                    break;
                case WarmOperation(var t, var count, var value):
                    var pairs = s_keys.Take(count).ToDictionary(k => k, _ => value);
                    Assert.Equal(count, cache.WarmCache(pairs, tenantId: s_tenants[t]));
                    foreach (var key in pairs.Keys)
                    {
                        Store(s_tenants[t], key, value, null);
                    }

                    break;
                case AdvanceOperation(var seconds):
                    time.Advance(TimeSpan.FromSeconds(seconds));
                    now += seconds;
                    break;
            }

            // The scan has run at every whole second, so Size counts exactly the live entries.
            for (var i = 0; i < s_tenants.Length; i++)
            {
                if (s_tenants[i] is { } id)
                {
                    var stats = cache.GetStats(id);
                    var live = model.Count(p => p.Key.Tenant == id && IsLive(p.Value));
                    Assert.True(live == stats.Size, $"{where}: tenant {id} Size {stats.Size}, model {live}");
                    Assert.Equal(hits[i], stats.Hits);
                    Assert.Equal(misses[i], stats.Misses);
                }
            }

            var all = cache.GetStats();
            Assert.True(model.Count(p => IsLive(p.Value)) == all.Size, $"{where}: Size {all.Size}, model {model.Count(p => IsLive(p.Value))}");
            Assert.Equal(hits.Sum(), all.Hits);
            Assert.Equal(misses.Sum(), all.Misses);
        }
    }

    private abstract record Operation;

    private sealed record SetOperation(int Tenant, string Key, int Value, int? TtlSeconds) : Operation;

    private sealed record GetOperation(int Tenant, string Key) : Operation;

    private sealed record DeleteOperation(int Tenant, string Key) : Operation;

    private sealed record InvalidateOperation(int Tenant, int Pattern) : Operation;

    private sealed record ClearOperation(int Tenant) : Operation;

    private sealed record WarmOperation(int Tenant, int Count, int Value) : Operation;

    private sealed record AdvanceOperation(int Seconds) : Operation;
}
