using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;

namespace Motadata.Cache;

// Where the facade turns outcomes into answers: the one place hits, misses and sets are counted (CountHit, CountMiss,
// Count, CountWrite; the in-process hit path TryGetInline counts through CountHit on its segment's counters), and where
// a backend failure that nothing below turned into an answer (recovery off) is thrown to the caller.
public sealed partial class CacheMechanism
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CountHit(TenantCounters counters) => counters.Hits.Increment();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CountMiss(TenantCounters counters) => counters.Misses.Increment();

    private static void CountSets(TenantCounters counters, long stored) => counters.RecordSets(stored);

    private static bool Count<T>(TenantCounters counters, in ReadOutcome<T> outcome, [MaybeNullWhen(false)] out T value)
    {
        if (outcome.Failure is { } failure)
        {
            throw failure;
        }

        if (outcome.Found)
        {
            CountHit(counters);
            value = outcome.Value!;
            return true;
        }

        CountMiss(counters);
        value = default;
        return false;
    }

    private static T? CountValue<T>(TenantCounters counters, in ReadOutcome<T> outcome, T? defaultValue) =>
        Count(counters, outcome, out var value) ? value : defaultValue;


    /// <summary><c>GetAsync</c>'s counting, handed to the store with the read (see <see cref="IReadProjection{T, TResult}"/>).</summary>
    private readonly struct CountingProjection<T> : IReadProjection<T, T?>
    {
        private readonly TenantCounters _counters;
        private readonly T? _defaultValue;

        public CountingProjection(TenantCounters counters, T? defaultValue)
        {
            _counters = counters;
            _defaultValue = defaultValue;
        }

        public T? Project(in ReadOutcome<T> outcome) => CountValue(_counters, outcome, _defaultValue);
    }

    private static CacheWriteStatus CountWrite(TenantCounters counters, in WriteOutcome outcome)
    {
        // With recovery on, a failure arrives as Unavailable with no exception left to throw: recovery handled it.
        if (outcome.Failure is { } failure)
        {
            throw failure;
        }

        if (outcome.IsStored)
        {
            CountSets(counters, 1);
        }

        return outcome.Status;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<CacheWriteStatus> CountWriteAsync(ValueTask<WriteOutcome> pending, TenantCounters counters) =>
        CountWrite(counters, await pending.ConfigureAwait(false));

    private static TResult ResultOrThrow<TResult>(in StoreOutcome<TResult> outcome) =>
        outcome.Failure is { } failure ? throw failure : outcome.Result;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<TResult> ResultOrThrowAsync<TResult>(ValueTask<StoreOutcome<TResult>> pending) =>
        ResultOrThrow(await pending.ConfigureAwait(false));
}
