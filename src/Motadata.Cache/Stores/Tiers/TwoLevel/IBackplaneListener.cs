namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>What an <see cref="IBackplane"/> tells the <see cref="BackplaneSession"/> on top of it.</summary>
internal interface IBackplaneListener
{
    /// <summary>A message (null or not ours when unreadable), one at a time, in publish order.</summary>
    void OnMessage(string? message);

    /// <summary>The connection failed or was restored (<paramref name="endpoint"/>, <paramref name="change"/>): messages may have been lost.</summary>
    void OnConnectionChanged(string endpoint, string change);
}
