namespace Motadata.Cache.Stores;

/// <summary>
/// One <see cref="ICacheStore"/> call as a value: its arguments and how to make it on a store. A tier that treats every
/// operation alike (telemetry, a guard) writes one generic method over this instead of one method per store member;
/// a struct, so a call through it costs no allocation and no delegate (<see cref="StoreDecorator"/>).
/// </summary>
/// <typeparam name="TOutcome">What the call returns.</typeparam>
internal interface IStoreOperation<TOutcome>
    where TOutcome : struct, IStoreOutcome
{
    /// <summary>The operation's name in logs, traces and metrics: <c>get</c>, <c>set</c>, <c>delete</c>...</summary>
    string Name { get; }

    /// <summary>The namespace it acts on (null: the global namespace, or every namespace for a clear or usage of all).</summary>
    string? TenantId { get; }

    /// <summary>Makes the call on <paramref name="store"/>, synchronously.</summary>
    TOutcome Call(ICacheStore store);

    /// <summary>Makes the call on <paramref name="store"/>, asynchronously.</summary>
    ValueTask<TOutcome> CallAsync(ICacheStore store, CancellationToken cancellationToken);
}
