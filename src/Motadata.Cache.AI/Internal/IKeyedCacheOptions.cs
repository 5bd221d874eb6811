namespace Motadata.Cache.AI.Internal;

/// <summary>
/// What every AI cache's options share: the key's version and prefix and the counters. One check for all of them, so
/// the chat client, the embedding generator and the agent refuse the same bad options with the same words.
/// </summary>
internal interface IKeyedCacheOptions
{
    string Version { get; }

    string KeyPrefix { get; }

    AICacheCounters Statistics { get; }
}

internal static class KeyedCacheOptions
{
    /// <summary>Throws <see cref="ArgumentNullException"/> naming the option that is null.</summary>
    public static TOptions Checked<TOptions>(TOptions options)
        where TOptions : IKeyedCacheOptions
    {
        ArgumentNullException.ThrowIfNull(options.Version, "options.Version");
        ArgumentNullException.ThrowIfNull(options.KeyPrefix, "options.KeyPrefix");
        ArgumentNullException.ThrowIfNull(options.Statistics, "options.Statistics");
        return options;
    }

    /// <summary>Asks the inner client for its default model id once, on first use (null when it has none).</summary>
    public static Lazy<string?> DefaultModelId(Func<string?> read) => new(read, LazyThreadSafetyMode.PublicationOnly);
}
