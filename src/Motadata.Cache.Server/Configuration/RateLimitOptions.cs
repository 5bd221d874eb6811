namespace Motadata.Cache.Server.Configuration;

/// <summary>The <c>Service:RateLimit</c> section: a token bucket per tenant.</summary>
internal sealed class RateLimitOptions
{
    /// <summary>Requests a tenant may make per second, sustained; 0 turns rate limiting off.</summary>
    /// <value>Default 0 (off).</value>
    public int PermitsPerSecond { get; set; }

    /// <summary>Requests a tenant may make at once after being idle (the bucket's size); 0 means <see cref="PermitsPerSecond"/>.</summary>
    /// <value>Default 0 (same as <see cref="PermitsPerSecond"/>).</value>
    public int Burst { get; set; }

    /// <summary>Whether limiting is on.</summary>
    public bool Enabled => PermitsPerSecond > 0;

    /// <summary>The bucket's size.</summary>
    public int EffectiveBurst => Burst > 0 ? Burst : PermitsPerSecond;

    /// <summary>Adds a line to <paramref name="errors"/> for every bad setting.</summary>
    /// <param name="errors">Where the messages go.</param>
    public void Validate(List<string> errors)
    {
        if (PermitsPerSecond < 0)
        {
            errors.Add($"Service:RateLimit:PermitsPerSecond is {PermitsPerSecond}; use 0 to turn rate limiting off or a positive count.");
        }

        if (Burst < 0)
        {
            errors.Add($"Service:RateLimit:Burst is {Burst}; use 0 (same as PermitsPerSecond) or a positive count.");
        }
    }
}
