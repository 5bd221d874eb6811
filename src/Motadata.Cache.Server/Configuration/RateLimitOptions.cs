namespace Motadata.Cache.Server.Configuration;

/// <summary>
/// The <c>Service:RateLimit</c> section: a token bucket per tenant and another per API key, so a key that may use
/// every tenant (<c>*</c>) cannot rotate tenants to go unlimited, and admin routes are limited too.
/// </summary>
internal sealed class RateLimitOptions
{
    /// <summary>Requests a tenant may make per second, sustained; 0 turns rate limiting off.</summary>
    /// <value>Default 0 (off).</value>
    public int PermitsPerSecond { get; set; }

    /// <summary>Requests a tenant may make at once after being idle (the bucket's size); 0 means <see cref="PermitsPerSecond"/>.</summary>
    /// <value>Default 0 (same as <see cref="PermitsPerSecond"/>).</value>
    public int Burst { get; set; }

    /// <summary>
    /// Requests one API key may make per second, sustained, over every route and tenant it uses; 0 means four times
    /// <see cref="PermitsPerSecond"/> (a key may spend four tenants' budgets). Applies only while limiting is on.
    /// </summary>
    /// <value>Default 0 (four times <see cref="PermitsPerSecond"/>).</value>
    public int KeyPermitsPerSecond { get; set; }

    /// <summary>Requests one API key may make at once after being idle; 0 means four times the tenant's bucket size.</summary>
    /// <value>Default 0 (four times <see cref="EffectiveBurst"/>).</value>
    public int KeyBurst { get; set; }

    /// <summary>Whether limiting is on.</summary>
    public bool Enabled => PermitsPerSecond > 0;

    /// <summary>The bucket's size.</summary>
    public int EffectiveBurst => Burst > 0 ? Burst : PermitsPerSecond;

    /// <summary>The sustained rate of one API key.</summary>
    public int EffectiveKeyPermitsPerSecond => KeyPermitsPerSecond > 0 ? KeyPermitsPerSecond : (int)Math.Min(int.MaxValue, 4L * PermitsPerSecond);

    /// <summary>The bucket size of one API key.</summary>
    public int EffectiveKeyBurst => KeyBurst > 0 ? KeyBurst : (int)Math.Min(int.MaxValue, 4L * EffectiveBurst);

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

        if (KeyPermitsPerSecond < 0)
        {
            errors.Add($"Service:RateLimit:KeyPermitsPerSecond is {KeyPermitsPerSecond}; use 0 (four times PermitsPerSecond) or a positive count.");
        }

        if (KeyBurst < 0)
        {
            errors.Add($"Service:RateLimit:KeyBurst is {KeyBurst}; use 0 (four times Burst) or a positive count.");
        }
    }
}
