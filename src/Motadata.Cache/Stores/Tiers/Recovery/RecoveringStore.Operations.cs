using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores.Tiers.Recovery;

// Every store operation (a value, Stores/StoreOperations.cs) with its policy for the guard (RecoveringStore.Guard.cs):
// what recovery does when the server did not take it. Reads become misses (or fallback hits); writes journal a delete of their keys
// (the value they replace, or they themselves landing late, must not outlive the replay); removals are journaled;
// usage reads as zero.
internal sealed partial class RecoveringStore
{
    public ReadOutcome<T> Read<T>(in CacheKey key) => Run<ReadPolicy<T>, ReadOperation<T>, ReadOutcome<T>>(new(key));

    public ValueTask<ReadOutcome<T>> ReadAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        RunAsync<ReadPolicy<T>, ReadOperation<T>, ReadOutcome<T>>(new(key), cancellationToken);

    public ValueTask<TResult> ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult>
    {
        if (_mode == HealthyMode)
        {
            // Healthy: no layer of its own; the failure rule of a read goes down with the projection, in front of it.
            return _inner.ReadAsync<T, TResult, RecoveringProjection<T, TResult, TProjection>>(key, new(this, key, projection), cancellationToken);
        }

        var pending = RunAsync<ReadPolicy<T>, ReadOperation<T>, ReadOutcome<T>>(new(key), cancellationToken);
        return pending.IsCompletedSuccessfully ? new(projection.Project(pending.Result)) : ProjectAsync(pending, projection);

        static async ValueTask<TResult> ProjectAsync(ValueTask<ReadOutcome<T>> pending, TProjection projection) =>
            projection.Project(await pending.ConfigureAwait(false));
    }

    public ReadOutcome<TimedValue<T>> ReadWithTtl<T>(in CacheKey key) =>
        Run<ReadWithTtlPolicy<T>, ReadWithTtlOperation<T>, ReadOutcome<TimedValue<T>>>(new(key));

    public ValueTask<ReadOutcome<TimedValue<T>>> ReadWithTtlAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        RunAsync<ReadWithTtlPolicy<T>, ReadWithTtlOperation<T>, ReadOutcome<TimedValue<T>>>(new(key), cancellationToken);

    public ValueTask<StoreOutcome<ReadOutcome<T>[]>> ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        RunAsync<ReadManyPolicy<T>, ReadManyOperation<T>, StoreOutcome<ReadOutcome<T>[]>>(new(tenantId, keys), cancellationToken);

    public WriteOutcome Write<T>(in CacheKey key, T value, TimeSpan ttl) =>
        Run<WritePolicy<T>, WriteOperation<T>, WriteOutcome>(new(key, value, ttl));

    public ValueTask<WriteOutcome> WriteAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync<WritePolicy<T>, WriteOperation<T>, WriteOutcome>(new(key, value, ttl), cancellationToken);

    public StoreOutcome<bool> Extend(in CacheKey key, byte[] expected, TimeSpan ttl) =>
        Run<ExtendPolicy, ExtendOperation, StoreOutcome<bool>>(new(key, expected, ttl));

    public ValueTask<StoreOutcome<bool>> ExtendAsync(CacheKey key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync<ExtendPolicy, ExtendOperation, StoreOutcome<bool>>(new(key, expected, ttl), cancellationToken);

    public StoreOutcome<bool> Delete(in CacheKey key) => Run<DeletePolicy, DeleteOperation, StoreOutcome<bool>>(new(key));

    public ValueTask<StoreOutcome<bool>> DeleteAsync(CacheKey key, CancellationToken cancellationToken) =>
        RunAsync<DeletePolicy, DeleteOperation, StoreOutcome<bool>>(new(key), cancellationToken);

    public StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern) =>
        Run<InvalidatePolicy, InvalidateOperation, StoreOutcome<long>>(new(tenantId, pattern));

    public ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        RunAsync<InvalidatePolicy, InvalidateOperation, StoreOutcome<long>>(new(tenantId, pattern), cancellationToken);

    public StoreOutcome<long> Clear(string? tenantId) => Run<ClearPolicy, ClearOperation, StoreOutcome<long>>(new(tenantId));

    public ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        RunAsync<ClearPolicy, ClearOperation, StoreOutcome<long>>(new(tenantId), cancellationToken);

    public StoreOutcome<long> WriteMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl) =>
        Run<WriteManyPolicy<T>, WriteManyOperation<T>, StoreOutcome<long>>(new(tenantId, entries, ttl));

    public ValueTask<StoreOutcome<long>> WriteManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync<WriteManyPolicy<T>, WriteManyOperation<T>, StoreOutcome<long>>(new(tenantId, entries, ttl), cancellationToken);

    public StoreOutcome<StoreUsage> GetUsage(string? tenantId) => Run<UsagePolicy, UsageOperation, StoreOutcome<StoreUsage>>(new(tenantId));

    public ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken) =>
        RunAsync<UsagePolicy, UsageOperation, StoreOutcome<StoreUsage>>(new(tenantId), cancellationToken);

    /// <summary>What this instance can answer on its own while the server is away: the fallback tier's value, or a miss.</summary>
    private ReadOutcome<T> ReadFallback<T>(in CacheKey key) =>
        _fallback is { } fallback ? fallback.Read<T>(key) : ReadOutcome<T>.Miss;

    /// <summary>
    /// A write the server did not take (or may take late): journal a delete of its key, so that neither the value it
    /// replaced nor, if it lands late, the value itself outlives the replay; keep it in the fallback tier meanwhile.
    /// </summary>
    private void LoseWrite<T>(in CacheKey key, T value, TimeSpan ttl, CacheBackendException? failure)
    {
        Journal(new JournalEntry(JournalOperation.Delete, key.TenantId, key.Key), failure);
        _fallback?.Write(key, value, ttl);
    }

    /// <summary>While recovering, this instance's reads may be served by the fallback tier: keep it in step with what the server took.</summary>
    private void KeepInFallback<T>(in CacheKey key, T value, TimeSpan ttl, bool stored)
    {
        if (_fallback is not { } fallback)
        {
            return;
        }

        if (stored)
        {
            fallback.Write(key, value, ttl);
        }
        else
        {
            fallback.Delete(key);
        }
    }

    /// <summary>A read's failure rule (<see cref="ReadOperation{T}"/>) applied in front of the caller's projection, by the store that completes the read.</summary>
    private readonly struct RecoveringProjection<T, TResult, TProjection> : IReadProjection<T, TResult>
        where TProjection : struct, IReadProjection<T, TResult>
    {
        private readonly RecoveringStore _recovery;
        private readonly CacheKey _key;
        private readonly TProjection _inner;

        public RecoveringProjection(RecoveringStore recovery, CacheKey key, TProjection inner)
        {
            _recovery = recovery;
            _key = key;
            _inner = inner;
        }

        public TResult Project(in ReadOutcome<T> outcome) =>
            _inner.Project(outcome.Failure is { } failure ? ReadPolicy<T>.WithoutServer(_recovery, new ReadOperation<T>(_key), failure) : outcome);
    }

    private readonly struct ReadPolicy<T> : IGuardedOperation<ReadOperation<T>, ReadOutcome<T>>
    {
        public static bool IsRead => true;



        public static ReadOutcome<T> WithoutServer(RecoveringStore recovery, in ReadOperation<T> state, CacheBackendException? failure)
        {
            if (failure is not null)
            {
                recovery.OnFailure(failure);
            }

            return recovery.ReadFallback<T>(state.Key);
        }

        public static ReadOutcome<T> Served(RecoveringStore recovery, in ReadOperation<T> state, ReadOutcome<T> outcome) => outcome;
    }

    private readonly struct ReadWithTtlPolicy<T> : IGuardedOperation<ReadWithTtlOperation<T>, ReadOutcome<TimedValue<T>>>
    {
        public static bool IsRead => true;

        // As a read: a miss, or what the fallback tier holds (whose TTL it cannot vouch for the server's: none given).
        public static ReadOutcome<TimedValue<T>> WithoutServer(RecoveringStore recovery, in ReadWithTtlOperation<T> state, CacheBackendException? failure)
        {
            var outcome = ReadPolicy<T>.WithoutServer(recovery, new ReadOperation<T>(state.Key), failure);
            return outcome.Found ? ReadOutcome<TimedValue<T>>.Hit(new TimedValue<T>(outcome.Value, null)) : ReadOutcome<TimedValue<T>>.Miss;
        }

        public static ReadOutcome<TimedValue<T>> Served(RecoveringStore recovery, in ReadWithTtlOperation<T> state, ReadOutcome<TimedValue<T>> outcome) => outcome;
    }

    private readonly struct ReadManyPolicy<T> : IGuardedOperation<ReadManyOperation<T>, StoreOutcome<ReadOutcome<T>[]>>
    {
        public static bool IsRead => true;



        public static StoreOutcome<ReadOutcome<T>[]> WithoutServer(RecoveringStore recovery, in ReadManyOperation<T> state, CacheBackendException? failure)
        {
            if (failure is not null)
            {
                recovery.OnFailure(failure);
            }

            var results = new ReadOutcome<T>[state.Keys.Count];
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = recovery.ReadFallback<T>(new CacheKey(state.TenantId, state.Keys[i]));
            }

            return results;
        }

        public static StoreOutcome<ReadOutcome<T>[]> Served(RecoveringStore recovery, in ReadManyOperation<T> state, StoreOutcome<ReadOutcome<T>[]> outcome) => outcome;
    }

    private readonly struct WritePolicy<T> : IGuardedOperation<WriteOperation<T>, WriteOutcome>
    {
        public static bool IsRead => false;



        public static WriteOutcome WithoutServer(RecoveringStore recovery, in WriteOperation<T> state, CacheBackendException? failure)
        {
            recovery.LoseWrite(state.Key, state.Value, state.Ttl, failure);

            // Handled (journaled): no failure left for anyone above to throw.
            return WriteOutcome.Unavailable(null);
        }

        public static WriteOutcome Served(RecoveringStore recovery, in WriteOperation<T> state, WriteOutcome outcome)
        {
            recovery.KeepInFallback(state.Key, state.Value, state.Ttl, outcome.IsStored);
            return outcome;
        }
    }

    private readonly struct ExtendPolicy : IGuardedOperation<ExtendOperation, StoreOutcome<bool>>
    {
        public static bool IsRead => false;



        public static StoreOutcome<bool> WithoutServer(RecoveringStore recovery, in ExtendOperation state, CacheBackendException? failure)
        {
            recovery.LoseWrite(state.Key, state.Expected, state.Ttl, failure);
            return false;
        }

        public static StoreOutcome<bool> Served(RecoveringStore recovery, in ExtendOperation state, StoreOutcome<bool> outcome)
        {
            recovery.KeepInFallback(state.Key, state.Expected, state.Ttl, outcome.Result);
            return outcome;
        }
    }

    private readonly struct DeletePolicy : IGuardedOperation<DeleteOperation, StoreOutcome<bool>>
    {
        public static bool IsRead => false;



        public static StoreOutcome<bool> WithoutServer(RecoveringStore recovery, in DeleteOperation state, CacheBackendException? failure)
        {
            recovery.Journal(new JournalEntry(JournalOperation.Delete, state.Key.TenantId, state.Key.Key), failure);
            return recovery._fallback is { } fallback && fallback.Delete(state.Key).Result;
        }

        public static StoreOutcome<bool> Served(RecoveringStore recovery, in DeleteOperation state, StoreOutcome<bool> outcome)
        {
            var local = recovery._fallback is { } fallback && fallback.Delete(state.Key).Result;
            return outcome.Result | local;
        }
    }

    private readonly struct InvalidatePolicy : IGuardedOperation<InvalidateOperation, StoreOutcome<long>>
    {
        public static bool IsRead => false;



        public static StoreOutcome<long> WithoutServer(RecoveringStore recovery, in InvalidateOperation state, CacheBackendException? failure)
        {
            recovery.Journal(InvalidateEntry(state.TenantId, state.Pattern), failure);
            return recovery._fallback?.Invalidate(state.TenantId, state.Pattern).Result ?? 0;
        }

        public static StoreOutcome<long> Served(RecoveringStore recovery, in InvalidateOperation state, StoreOutcome<long> outcome)
        {
            recovery._fallback?.Invalidate(state.TenantId, state.Pattern);
            return outcome;
        }
    }

    private readonly struct ClearPolicy : IGuardedOperation<ClearOperation, StoreOutcome<long>>
    {
        public static bool IsRead => false;



        public static StoreOutcome<long> WithoutServer(RecoveringStore recovery, in ClearOperation state, CacheBackendException? failure)
        {
            recovery.Journal(ClearEntry(state.TenantId), failure);
            return recovery._fallback?.Clear(state.TenantId).Result ?? 0;
        }

        public static StoreOutcome<long> Served(RecoveringStore recovery, in ClearOperation state, StoreOutcome<long> outcome)
        {
            recovery._fallback?.Clear(state.TenantId);
            return outcome;
        }
    }

    private readonly struct WriteManyPolicy<T> : IGuardedOperation<WriteManyOperation<T>, StoreOutcome<long>>
    {
        public static bool IsRead => false;



        public static StoreOutcome<long> WithoutServer(RecoveringStore recovery, in WriteManyOperation<T> state, CacheBackendException? failure)
        {
            recovery.JournalDeletes(state.TenantId, state.Entries, failure);
            recovery._fallback?.WriteMany(state.TenantId, state.Entries, state.Ttl);
            return 0L;
        }

        public static StoreOutcome<long> Served(RecoveringStore recovery, in WriteManyOperation<T> state, StoreOutcome<long> outcome)
        {
            if (recovery._fallback is not { } fallback)
            {
                return outcome;
            }

            if (outcome.Result == state.Entries.Count)
            {
                fallback.WriteMany(state.TenantId, state.Entries, state.Ttl);
                return outcome;
            }

            // Which ones the server refused is not known: hold none of them locally rather than one it refused.
            for (var i = 0; i < state.Entries.Count; i++)
            {
                fallback.Delete(new CacheKey(state.TenantId, state.Entries[i].Key));
            }

            return outcome;
        }
    }

    private readonly struct UsagePolicy : IGuardedOperation<UsageOperation, StoreOutcome<StoreUsage>>
    {
        public static bool IsRead => false;



        public static StoreOutcome<StoreUsage> WithoutServer(RecoveringStore recovery, in UsageOperation state, CacheBackendException? failure)
        {
            if (failure is not null)
            {
                recovery.OnFailure(failure);
            }

            return default(StoreUsage);
        }

        public static StoreOutcome<StoreUsage> Served(RecoveringStore recovery, in UsageOperation state, StoreOutcome<StoreUsage> outcome) => outcome;
    }
}
