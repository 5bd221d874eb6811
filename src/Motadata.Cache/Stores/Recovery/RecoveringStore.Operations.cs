using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores.Recovery;

// Every store operation as a policy for the guard (RecoveringStore.Guard.cs): which call it makes, and what recovery
// does when the server did not take it. Reads become misses (or fallback hits); writes journal a delete of their keys
// (the value they replace, or they themselves landing late, must not outlive the replay); removals are journaled;
// usage reads as zero.
internal sealed partial class RecoveringStore
{
    public ReadOutcome<T> Read<T>(in CacheKey key) => Run<ReadOperation<T>, CacheKey, ReadOutcome<T>>(key);

    public ValueTask<ReadOutcome<T>> ReadAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        RunAsync<ReadOperation<T>, CacheKey, ReadOutcome<T>>(key, cancellationToken);

    public ValueTask<TResult> ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult>
    {
        if (_mode == HealthyMode)
        {
            // Healthy: no layer of its own; the failure rule of a read goes down with the projection, in front of it.
            return _inner.ReadAsync<T, TResult, RecoveringProjection<T, TResult, TProjection>>(key, new(this, key, projection), cancellationToken);
        }

        var pending = RunAsync<ReadOperation<T>, CacheKey, ReadOutcome<T>>(key, cancellationToken);
        return pending.IsCompletedSuccessfully ? new(projection.Project(pending.Result)) : ProjectAsync(pending, projection);

        static async ValueTask<TResult> ProjectAsync(ValueTask<ReadOutcome<T>> pending, TProjection projection) =>
            projection.Project(await pending.ConfigureAwait(false));
    }

    public ValueTask<StoreOutcome<ReadOutcome<T>[]>> ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        RunAsync<ReadManyOperation<T>, (string? TenantId, IReadOnlyList<string> Keys), StoreOutcome<ReadOutcome<T>[]>>((tenantId, keys), cancellationToken);

    public WriteOutcome Write<T>(in CacheKey key, T value, TimeSpan ttl) =>
        Run<WriteOperation<T>, (CacheKey Key, T Value, TimeSpan Ttl), WriteOutcome>((key, value, ttl));

    public ValueTask<WriteOutcome> WriteAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync<WriteOperation<T>, (CacheKey Key, T Value, TimeSpan Ttl), WriteOutcome>((key, value, ttl), cancellationToken);

    public StoreOutcome<bool> Extend(in CacheKey key, byte[] expected, TimeSpan ttl) =>
        Run<ExtendOperation, (CacheKey Key, byte[] Value, TimeSpan Ttl), StoreOutcome<bool>>((key, expected, ttl));

    public ValueTask<StoreOutcome<bool>> ExtendAsync(CacheKey key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync<ExtendOperation, (CacheKey Key, byte[] Value, TimeSpan Ttl), StoreOutcome<bool>>((key, expected, ttl), cancellationToken);

    public StoreOutcome<bool> Delete(in CacheKey key) => Run<DeleteOperation, CacheKey, StoreOutcome<bool>>(key);

    public ValueTask<StoreOutcome<bool>> DeleteAsync(CacheKey key, CancellationToken cancellationToken) =>
        RunAsync<DeleteOperation, CacheKey, StoreOutcome<bool>>(key, cancellationToken);

    public StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern) =>
        Run<InvalidateOperation, (string? TenantId, GlobPattern Pattern), StoreOutcome<long>>((tenantId, pattern));

    public ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        RunAsync<InvalidateOperation, (string? TenantId, GlobPattern Pattern), StoreOutcome<long>>((tenantId, pattern), cancellationToken);

    public StoreOutcome<long> Clear(string? tenantId) => Run<ClearOperation, string?, StoreOutcome<long>>(tenantId);

    public ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        RunAsync<ClearOperation, string?, StoreOutcome<long>>(tenantId, cancellationToken);

    public StoreOutcome<long> WriteMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl) =>
        Run<WriteManyOperation<T>, (string? TenantId, IReadOnlyList<KeyValuePair<string, T>> Entries, TimeSpan Ttl), StoreOutcome<long>>((tenantId, entries, ttl));

    public ValueTask<StoreOutcome<long>> WriteManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync<WriteManyOperation<T>, (string? TenantId, IReadOnlyList<KeyValuePair<string, T>> Entries, TimeSpan Ttl), StoreOutcome<long>>((tenantId, entries, ttl), cancellationToken);

    public StoreOutcome<StoreUsage> GetUsage(string? tenantId) => Run<UsageOperation, string?, StoreOutcome<StoreUsage>>(tenantId);

    public ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken) =>
        RunAsync<UsageOperation, string?, StoreOutcome<StoreUsage>>(tenantId, cancellationToken);

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
            _inner.Project(outcome.Failure is { } failure ? ReadOperation<T>.WithoutServer(_recovery, _key, failure) : outcome);
    }

    private readonly struct ReadOperation<T> : IGuardedOperation<CacheKey, ReadOutcome<T>>
    {
        public static bool IsRead => true;

        public static ReadOutcome<T> Call(ICacheStore store, in CacheKey state) => store.Read<T>(state);

        public static ValueTask<ReadOutcome<T>> CallAsync(ICacheStore store, CacheKey state, CancellationToken cancellationToken) =>
            store.ReadAsync<T>(state, cancellationToken);

        public static ReadOutcome<T> WithoutServer(RecoveringStore recovery, in CacheKey state, CacheBackendException? failure)
        {
            if (failure is not null)
            {
                recovery.OnFailure(failure);
            }

            return recovery.ReadFallback<T>(state);
        }

        public static ReadOutcome<T> Served(RecoveringStore recovery, in CacheKey state, ReadOutcome<T> outcome) => outcome;
    }

    private readonly struct ReadManyOperation<T> : IGuardedOperation<(string? TenantId, IReadOnlyList<string> Keys), StoreOutcome<ReadOutcome<T>[]>>
    {
        public static bool IsRead => true;

        public static StoreOutcome<ReadOutcome<T>[]> Call(ICacheStore store, in (string? TenantId, IReadOnlyList<string> Keys) state) =>
            throw new NotSupportedException("Batch reads are asynchronous only.");

        public static ValueTask<StoreOutcome<ReadOutcome<T>[]>> CallAsync(ICacheStore store, (string? TenantId, IReadOnlyList<string> Keys) state, CancellationToken cancellationToken) =>
            store.ReadManyAsync<T>(state.TenantId, state.Keys, cancellationToken);

        public static StoreOutcome<ReadOutcome<T>[]> WithoutServer(RecoveringStore recovery, in (string? TenantId, IReadOnlyList<string> Keys) state, CacheBackendException? failure)
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

        public static StoreOutcome<ReadOutcome<T>[]> Served(RecoveringStore recovery, in (string? TenantId, IReadOnlyList<string> Keys) state, StoreOutcome<ReadOutcome<T>[]> outcome) => outcome;
    }

    private readonly struct WriteOperation<T> : IGuardedOperation<(CacheKey Key, T Value, TimeSpan Ttl), WriteOutcome>
    {
        public static bool IsRead => false;

        public static WriteOutcome Call(ICacheStore store, in (CacheKey Key, T Value, TimeSpan Ttl) state) =>
            store.Write(state.Key, state.Value, state.Ttl);

        public static ValueTask<WriteOutcome> CallAsync(ICacheStore store, (CacheKey Key, T Value, TimeSpan Ttl) state, CancellationToken cancellationToken) =>
            store.WriteAsync(state.Key, state.Value, state.Ttl, cancellationToken);

        public static WriteOutcome WithoutServer(RecoveringStore recovery, in (CacheKey Key, T Value, TimeSpan Ttl) state, CacheBackendException? failure)
        {
            recovery.LoseWrite(state.Key, state.Value, state.Ttl, failure);

            // Handled (journaled): no failure left for anyone above to throw.
            return WriteOutcome.Unavailable(null);
        }

        public static WriteOutcome Served(RecoveringStore recovery, in (CacheKey Key, T Value, TimeSpan Ttl) state, WriteOutcome outcome)
        {
            recovery.KeepInFallback(state.Key, state.Value, state.Ttl, outcome.IsStored);
            return outcome;
        }
    }

    private readonly struct ExtendOperation : IGuardedOperation<(CacheKey Key, byte[] Value, TimeSpan Ttl), StoreOutcome<bool>>
    {
        public static bool IsRead => false;

        public static StoreOutcome<bool> Call(ICacheStore store, in (CacheKey Key, byte[] Value, TimeSpan Ttl) state) =>
            store.Extend(state.Key, state.Value, state.Ttl);

        public static ValueTask<StoreOutcome<bool>> CallAsync(ICacheStore store, (CacheKey Key, byte[] Value, TimeSpan Ttl) state, CancellationToken cancellationToken) =>
            store.ExtendAsync(state.Key, state.Value, state.Ttl, cancellationToken);

        public static StoreOutcome<bool> WithoutServer(RecoveringStore recovery, in (CacheKey Key, byte[] Value, TimeSpan Ttl) state, CacheBackendException? failure)
        {
            recovery.LoseWrite(state.Key, state.Value, state.Ttl, failure);
            return false;
        }

        public static StoreOutcome<bool> Served(RecoveringStore recovery, in (CacheKey Key, byte[] Value, TimeSpan Ttl) state, StoreOutcome<bool> outcome)
        {
            recovery.KeepInFallback(state.Key, state.Value, state.Ttl, outcome.Result);
            return outcome;
        }
    }

    private readonly struct DeleteOperation : IGuardedOperation<CacheKey, StoreOutcome<bool>>
    {
        public static bool IsRead => false;

        public static StoreOutcome<bool> Call(ICacheStore store, in CacheKey state) => store.Delete(state);

        public static ValueTask<StoreOutcome<bool>> CallAsync(ICacheStore store, CacheKey state, CancellationToken cancellationToken) =>
            store.DeleteAsync(state, cancellationToken);

        public static StoreOutcome<bool> WithoutServer(RecoveringStore recovery, in CacheKey state, CacheBackendException? failure)
        {
            recovery.Journal(new JournalEntry(JournalOperation.Delete, state.TenantId, state.Key), failure);
            return recovery._fallback is { } fallback && fallback.Delete(state).Result;
        }

        public static StoreOutcome<bool> Served(RecoveringStore recovery, in CacheKey state, StoreOutcome<bool> outcome)
        {
            var local = recovery._fallback is { } fallback && fallback.Delete(state).Result;
            return outcome.Result | local;
        }
    }

    private readonly struct InvalidateOperation : IGuardedOperation<(string? TenantId, GlobPattern Pattern), StoreOutcome<long>>
    {
        public static bool IsRead => false;

        public static StoreOutcome<long> Call(ICacheStore store, in (string? TenantId, GlobPattern Pattern) state) =>
            store.Invalidate(state.TenantId, state.Pattern);

        public static ValueTask<StoreOutcome<long>> CallAsync(ICacheStore store, (string? TenantId, GlobPattern Pattern) state, CancellationToken cancellationToken) =>
            store.InvalidateAsync(state.TenantId, state.Pattern, cancellationToken);

        public static StoreOutcome<long> WithoutServer(RecoveringStore recovery, in (string? TenantId, GlobPattern Pattern) state, CacheBackendException? failure)
        {
            recovery.Journal(InvalidateEntry(state.TenantId, state.Pattern), failure);
            return recovery._fallback?.Invalidate(state.TenantId, state.Pattern).Result ?? 0;
        }

        public static StoreOutcome<long> Served(RecoveringStore recovery, in (string? TenantId, GlobPattern Pattern) state, StoreOutcome<long> outcome)
        {
            recovery._fallback?.Invalidate(state.TenantId, state.Pattern);
            return outcome;
        }
    }

    private readonly struct ClearOperation : IGuardedOperation<string?, StoreOutcome<long>>
    {
        public static bool IsRead => false;

        public static StoreOutcome<long> Call(ICacheStore store, in string? state) => store.Clear(state);

        public static ValueTask<StoreOutcome<long>> CallAsync(ICacheStore store, string? state, CancellationToken cancellationToken) =>
            store.ClearAsync(state, cancellationToken);

        public static StoreOutcome<long> WithoutServer(RecoveringStore recovery, in string? state, CacheBackendException? failure)
        {
            recovery.Journal(ClearEntry(state), failure);
            return recovery._fallback?.Clear(state).Result ?? 0;
        }

        public static StoreOutcome<long> Served(RecoveringStore recovery, in string? state, StoreOutcome<long> outcome)
        {
            recovery._fallback?.Clear(state);
            return outcome;
        }
    }

    private readonly struct WriteManyOperation<T> : IGuardedOperation<(string? TenantId, IReadOnlyList<KeyValuePair<string, T>> Entries, TimeSpan Ttl), StoreOutcome<long>>
    {
        public static bool IsRead => false;

        public static StoreOutcome<long> Call(ICacheStore store, in (string? TenantId, IReadOnlyList<KeyValuePair<string, T>> Entries, TimeSpan Ttl) state) =>
            store.WriteMany(state.TenantId, state.Entries, state.Ttl);

        public static ValueTask<StoreOutcome<long>> CallAsync(ICacheStore store, (string? TenantId, IReadOnlyList<KeyValuePair<string, T>> Entries, TimeSpan Ttl) state, CancellationToken cancellationToken) =>
            store.WriteManyAsync(state.TenantId, state.Entries, state.Ttl, cancellationToken);

        public static StoreOutcome<long> WithoutServer(RecoveringStore recovery, in (string? TenantId, IReadOnlyList<KeyValuePair<string, T>> Entries, TimeSpan Ttl) state, CacheBackendException? failure)
        {
            recovery.JournalDeletes(state.TenantId, state.Entries, failure);
            recovery._fallback?.WriteMany(state.TenantId, state.Entries, state.Ttl);
            return 0L;
        }

        public static StoreOutcome<long> Served(RecoveringStore recovery, in (string? TenantId, IReadOnlyList<KeyValuePair<string, T>> Entries, TimeSpan Ttl) state, StoreOutcome<long> outcome)
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

    private readonly struct UsageOperation : IGuardedOperation<string?, StoreOutcome<StoreUsage>>
    {
        public static bool IsRead => false;

        public static StoreOutcome<StoreUsage> Call(ICacheStore store, in string? state) => store.GetUsage(state);

        public static ValueTask<StoreOutcome<StoreUsage>> CallAsync(ICacheStore store, string? state, CancellationToken cancellationToken) =>
            store.GetUsageAsync(state, cancellationToken);

        public static StoreOutcome<StoreUsage> WithoutServer(RecoveringStore recovery, in string? state, CacheBackendException? failure)
        {
            if (failure is not null)
            {
                recovery.OnFailure(failure);
            }

            return default(StoreUsage);
        }

        public static StoreOutcome<StoreUsage> Served(RecoveringStore recovery, in string? state, StoreOutcome<StoreUsage> outcome) => outcome;
    }
}
