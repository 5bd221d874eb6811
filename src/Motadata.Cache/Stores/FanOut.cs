using Polly.CircuitBreaker;

namespace Motadata.Cache.Stores;

/// <summary>
/// What a store made of several stores (a cluster's primaries, independent shards) does with their parts: split a
/// batch by the part that holds each key, gather the answers back in the order asked, add up counts and usage, and
/// report the worst health.
/// </summary>
internal static class FanOut
{
    /// <summary>The positions of a batch of <paramref name="count"/> items grouped by the part that holds each.</summary>
    public static Dictionary<TPart, List<int>> Split<TPart>(int count, Func<int, TPart> partOf)
        where TPart : notnull
    {
        var groups = new Dictionary<TPart, List<int>>();
        for (var i = 0; i < count; i++)
        {
            var part = partOf(i);
            if (!groups.TryGetValue(part, out var positions))
            {
                groups.Add(part, positions = []);
            }

            positions.Add(i);
        }

        return groups;
    }

    /// <summary>The items of <paramref name="items"/> at <paramref name="positions"/>, in that order.</summary>
    public static TItem[] Pick<TItem>(IReadOnlyList<TItem> items, List<int> positions)
    {
        var picked = new TItem[positions.Count];
        for (var i = 0; i < picked.Length; i++)
        {
            picked[i] = items[positions[i]];
        }

        return picked;
    }

    /// <summary>Puts the parts' batch reads back in the order asked; the first failure fails the whole batch.</summary>
    public static async ValueTask<StoreOutcome<ReadOutcome<T>[]>> GatherAsync<T>(int count, List<(List<int> Positions, Task<StoreOutcome<ReadOutcome<T>[]>> Pending)> reads)
    {
        var results = new ReadOutcome<T>[count];
        foreach (var (positions, pending) in reads)
        {
            var outcome = await pending.ConfigureAwait(false);
            if (outcome.Failure is { } failure)
            {
                return StoreOutcome<ReadOutcome<T>[]>.Failed(failure);
            }

            for (var i = 0; i < positions.Count; i++)
            {
                results[positions[i]] = outcome.Result[i];
            }
        }

        return results;
    }

    /// <summary>The sum of the parts' counts; the first failure fails the whole.</summary>
    public static StoreOutcome<long> Sum(IEnumerable<StoreOutcome<long>> outcomes)
    {
        long total = 0;
        foreach (var outcome in outcomes)
        {
            if (outcome.Failure is { } failure)
            {
                return StoreOutcome<long>.Failed(failure);
            }

            total += outcome.Result;
        }

        return total;
    }

    /// <summary>The parts' usage added up, with every part's servers listed; the first failure fails the whole.</summary>
    public static StoreOutcome<StoreUsage> SumUsage(IEnumerable<StoreOutcome<StoreUsage>> outcomes)
    {
        long size = 0, bytes = 0;
        var nodes = new List<NodeUsage>();
        foreach (var outcome in outcomes)
        {
            if (outcome.Failure is { } failure)
            {
                return StoreOutcome<StoreUsage>.Failed(failure);
            }

            size += outcome.Result.Size;
            bytes += outcome.Result.MemoryBytes;
            nodes.AddRange(outcome.Result.Nodes ?? []);
        }

        return new StoreUsage(size, bytes, nodes);
    }

    /// <summary>
    /// The health of the whole from its parts': the worst part's (unavailable, then degraded), except that the whole
    /// is <see cref="CacheHealthStatus.Unavailable"/> only when every part is; while others serve it is
    /// <see cref="CacheHealthStatus.Degraded"/>. <paramref name="steady"/> when every part is healthy.
    /// </summary>
    public static CacheHealth WorstHealth(IEnumerable<CacheHealth> healths, CacheHealth steady)
    {
        CacheHealth? worst = null;
        var anyServing = false;
        foreach (var health in healths)
        {
            anyServing |= health.Status != CacheHealthStatus.Unavailable;
            if (worst is null || Rank(health.Status) > Rank(worst.Status))
            {
                worst = health;
            }
        }

        if (worst is null || worst.Status == CacheHealthStatus.Healthy)
        {
            return steady;
        }

        return worst.Status == CacheHealthStatus.Unavailable && anyServing ? worst with { Status = CacheHealthStatus.Degraded } : worst;

        static int Rank(CacheHealthStatus status) => status switch
        {
            CacheHealthStatus.Healthy => 0,
            CacheHealthStatus.Degraded => 1,
            _ => 2,
        };
    }

    /// <summary>The most open of the parts' breakers (open or isolated, then half-open, then closed).</summary>
    public static CircuitState WorstBreaker(IEnumerable<CircuitState> states)
    {
        var worst = CircuitState.Closed;
        foreach (var state in states)
        {
            if (Rank(state) > Rank(worst))
            {
                worst = state;
            }
        }

        return worst;

        static int Rank(CircuitState state) => state switch
        {
            CircuitState.Closed => 0,
            CircuitState.HalfOpen => 1,
            _ => 2,
        };
    }
}
