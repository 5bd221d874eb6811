namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>What the backplane tells the local level: messages from other instances, and when it can or cannot be trusted.</summary>
internal interface IBackplaneReceiver
{
    /// <summary>Another instance changed what <paramref name="message"/> covers: drop it locally (never re-read the server).</summary>
    void OnMessage(in BackplaneMessage message);

    /// <summary>
    /// Messages may have been missed (subscription lost or restored, a gap in a sender's sequence): stop serving
    /// locally and drop everything; <paramref name="serveAgain"/> false until the subscription is proven again.
    /// </summary>
    void OnUnsafe(bool serveAgain);

    /// <summary>The subscription is proven to deliver (this instance's own probe came back): drop everything, then serve locally.</summary>
    void OnSubscriptionConfirmed();

    /// <summary>Called about four times a second by the backplane's loop, for announcements owed from an outage.</summary>
    void OnTick();
}
