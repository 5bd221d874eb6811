using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores;

// Every ICacheStore operation as a value (IStoreOperation): what StoreDecorator's members build and hand to its one
// Run/RunAsync, and what recovery's policies (Recovery/RecoveringStore.Operations.cs) are written against.

/// <summary><see cref="ICacheStore.Read{T}"/> and <see cref="ICacheStore.ReadAsync{T}(CacheKey, CancellationToken)"/>.</summary>
internal readonly record struct ReadOperation<T>(CacheKey Key) : IStoreOperation<ReadOutcome<T>>
{
    public string Name => "get";

    public string? TenantId => Key.TenantId;

    public ReadOutcome<T> Call(ICacheStore store) => store.Read<T>(Key);

    public ValueTask<ReadOutcome<T>> CallAsync(ICacheStore store, CancellationToken cancellationToken) => store.ReadAsync<T>(Key, cancellationToken);
}

/// <summary><see cref="ICacheStore.ReadWithTtl{T}"/> and <see cref="ICacheStore.ReadWithTtlAsync{T}"/> (a read, as telemetry sees it).</summary>
internal readonly record struct ReadWithTtlOperation<T>(CacheKey Key) : IStoreOperation<ReadOutcome<TimedValue<T>>>
{
    public string Name => "get";

    public string? TenantId => Key.TenantId;

    public ReadOutcome<TimedValue<T>> Call(ICacheStore store) => store.ReadWithTtl<T>(Key);

    public ValueTask<ReadOutcome<TimedValue<T>>> CallAsync(ICacheStore store, CancellationToken cancellationToken) => store.ReadWithTtlAsync<T>(Key, cancellationToken);
}

/// <summary><see cref="ICacheStore.ReadManyAsync{T}"/>; asynchronous only.</summary>
internal readonly record struct ReadManyOperation<T>(string? TenantId, IReadOnlyList<string> Keys) : IStoreOperation<StoreOutcome<ReadOutcome<T>[]>>
{
    public string Name => "get_many";

    public StoreOutcome<ReadOutcome<T>[]> Call(ICacheStore store) => throw new NotSupportedException("Batch reads are asynchronous only.");

    public ValueTask<StoreOutcome<ReadOutcome<T>[]>> CallAsync(ICacheStore store, CancellationToken cancellationToken) =>
        store.ReadManyAsync<T>(TenantId, Keys, cancellationToken);
}

/// <summary><see cref="ICacheStore.Write{T}"/> and <see cref="ICacheStore.WriteAsync{T}"/>.</summary>
internal readonly record struct WriteOperation<T>(CacheKey Key, T Value, TimeSpan Ttl) : IStoreOperation<WriteOutcome>
{
    public string Name => "set";

    public string? TenantId => Key.TenantId;

    public WriteOutcome Call(ICacheStore store) => store.Write(Key, Value, Ttl);

    public ValueTask<WriteOutcome> CallAsync(ICacheStore store, CancellationToken cancellationToken) => store.WriteAsync(Key, Value, Ttl, cancellationToken);
}

/// <summary><see cref="ICacheStore.Extend"/> and <see cref="ICacheStore.ExtendAsync"/>.</summary>
internal readonly record struct ExtendOperation(CacheKey Key, byte[] Expected, TimeSpan Ttl) : IStoreOperation<StoreOutcome<bool>>
{
    public string Name => "extend";

    public string? TenantId => Key.TenantId;

    public StoreOutcome<bool> Call(ICacheStore store) => store.Extend(Key, Expected, Ttl);

    public ValueTask<StoreOutcome<bool>> CallAsync(ICacheStore store, CancellationToken cancellationToken) => store.ExtendAsync(Key, Expected, Ttl, cancellationToken);
}

/// <summary><see cref="ICacheStore.Delete"/> and <see cref="ICacheStore.DeleteAsync"/>.</summary>
internal readonly record struct DeleteOperation(CacheKey Key) : IStoreOperation<StoreOutcome<bool>>
{
    public string Name => "delete";

    public string? TenantId => Key.TenantId;

    public StoreOutcome<bool> Call(ICacheStore store) => store.Delete(Key);

    public ValueTask<StoreOutcome<bool>> CallAsync(ICacheStore store, CancellationToken cancellationToken) => store.DeleteAsync(Key, cancellationToken);
}

/// <summary><see cref="ICacheStore.Invalidate"/> and <see cref="ICacheStore.InvalidateAsync"/>.</summary>
internal readonly record struct InvalidateOperation(string? TenantId, GlobPattern Pattern) : IStoreOperation<StoreOutcome<long>>
{
    public string Name => "invalidate";

    public StoreOutcome<long> Call(ICacheStore store) => store.Invalidate(TenantId, Pattern);

    public ValueTask<StoreOutcome<long>> CallAsync(ICacheStore store, CancellationToken cancellationToken) => store.InvalidateAsync(TenantId, Pattern, cancellationToken);
}

/// <summary><see cref="ICacheStore.Clear"/> and <see cref="ICacheStore.ClearAsync"/>.</summary>
internal readonly record struct ClearOperation(string? TenantId) : IStoreOperation<StoreOutcome<long>>
{
    public string Name => "clear";

    public StoreOutcome<long> Call(ICacheStore store) => store.Clear(TenantId);

    public ValueTask<StoreOutcome<long>> CallAsync(ICacheStore store, CancellationToken cancellationToken) => store.ClearAsync(TenantId, cancellationToken);
}

/// <summary><see cref="ICacheStore.WriteMany{T}"/> and <see cref="ICacheStore.WriteManyAsync{T}"/>.</summary>
internal readonly record struct WriteManyOperation<T>(string? TenantId, IReadOnlyList<KeyValuePair<string, T>> Entries, TimeSpan Ttl) : IStoreOperation<StoreOutcome<long>>
{
    public string Name => "set_many";

    public StoreOutcome<long> Call(ICacheStore store) => store.WriteMany(TenantId, Entries, Ttl);

    public ValueTask<StoreOutcome<long>> CallAsync(ICacheStore store, CancellationToken cancellationToken) => store.WriteManyAsync(TenantId, Entries, Ttl, cancellationToken);
}

/// <summary><see cref="ICacheStore.GetUsage"/> and <see cref="ICacheStore.GetUsageAsync"/>.</summary>
internal readonly record struct UsageOperation(string? TenantId) : IStoreOperation<StoreOutcome<StoreUsage>>
{
    public string Name => "usage";

    public StoreOutcome<StoreUsage> Call(ICacheStore store) => store.GetUsage(TenantId);

    public ValueTask<StoreOutcome<StoreUsage>> CallAsync(ICacheStore store, CancellationToken cancellationToken) => store.GetUsageAsync(TenantId, cancellationToken);
}
