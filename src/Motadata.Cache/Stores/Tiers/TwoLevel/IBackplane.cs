namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>
/// The channel the local levels of one fleet talk over: text messages, each delivered to every subscriber (the
/// sender's own subscription too), one at a time and in the order they were published. It carries no meaning of its
/// own: numbering, the proof that a subscription delivers, heartbeats, gap detection and forgetting quiet senders are
/// the <see cref="BackplaneSession"/>'s, so every implementation (Redis pub/sub in <see cref="Backplane"/>, the
/// in-process bus of <see cref="InMemoryBackplaneBus"/> for tests) gets the same guarantees from the same code.
/// </summary>
/// <remarks>Built by the composition root and handed to the <see cref="TwoLevelStore"/>, which owns and disposes it.</remarks>
internal interface IBackplane : IDisposable, IAsyncDisposable
{
    /// <summary>True while the transport believes it can publish and deliver (a subscription may still have died silently).</summary>
    bool IsConnected { get; }

    /// <summary>Names the one listener of this transport: messages and connection changes go to it. Called once, before subscribing.</summary>
    void Attach(IBackplaneListener listener);

    /// <summary>Subscribes (again, after <see cref="UnsubscribeAsync"/>); false when it cannot now (not connected).</summary>
    Task<bool> SubscribeAsync();

    /// <summary>Drops the current subscription, if any, so that the next <see cref="SubscribeAsync"/> starts afresh.</summary>
    Task UnsubscribeAsync();

    /// <summary>
    /// Hands <paramref name="message"/> to the transport: null when it could not take it; the task faults when the
    /// server refused it. Called under the sender's lock, so messages leave in the order of the calls.
    /// </summary>
    Task? Publish(string message);

    /// <summary>
    /// The subscription could not be proven (a probe not back, a publish or subscribe that failed): re-reads where the
    /// channel lives, when that can move (a Redis Cluster's failover hands the channel's slot to the promoted
    /// replica). Returns at once; the work, if any, runs in the background and at most once per
    /// <see cref="BackplaneSession.ProbePatience"/>.
    /// </summary>
    void RefreshRoutes();
}
