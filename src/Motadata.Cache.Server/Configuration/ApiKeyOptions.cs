namespace Motadata.Cache.Server.Configuration;

/// <summary>One API key of <c>Service:ApiKeys</c>: the key (or its SHA-256), the tenants it may use and whether it may administer the whole cache.</summary>
internal sealed class ApiKeyOptions
{
    /// <summary>A name for logs and metrics; the key itself is never logged.</summary>
    /// <value>Default null (the key's position in the list).</value>
    public string? Name { get; set; }

    /// <summary>The key in clear. Prefer <see cref="KeySha256"/>, so the configuration holds no secret.</summary>
    /// <value>Default null.</value>
    public string? Key { get; set; }

    /// <summary>The SHA-256 of the key's UTF-8 bytes, in hex (64 characters), such as <c>printf %s "$KEY" | sha256sum</c> prints.</summary>
    /// <value>Default null.</value>
    public string? KeySha256 { get; set; }

    /// <summary>The tenants this key may use; <c>*</c> for every tenant.</summary>
    /// <value>Default empty (no tenant: with <see cref="Admin"/> only the admin routes).</value>
    public List<string> Tenants { get; init; } = [];

    /// <summary>Whether the key may call the admin routes (<c>GET /v1/stats</c>, <c>DELETE /v1/keys</c>).</summary>
    /// <value>Default false.</value>
    public bool Admin { get; set; }

    /// <summary>Whether the key may read <c>/metrics</c> when <c>Service:Metrics:RequireApiKey</c> is on (admin keys may too); a scraper's key needs nothing else.</summary>
    /// <value>Default false.</value>
    public bool Metrics { get; set; }

    /// <summary>Adds a line to <paramref name="errors"/> for every bad setting of this key.</summary>
    /// <param name="path">Where the key sits in the configuration, for the messages.</param>
    /// <param name="errors">Where the messages go.</param>
    public void Validate(string path, List<string> errors)
    {
        var hasKey = !string.IsNullOrEmpty(Key);
        var hasHash = !string.IsNullOrEmpty(KeySha256);
        if (hasKey == hasHash)
        {
            errors.Add($"{path} has {(hasKey ? "both Key and KeySha256" : "neither Key nor KeySha256")}; give exactly one of them.");
        }

        if (hasKey && Key!.Length < 16)
        {
            errors.Add($"{path}:Key is {Key.Length} characters long; use at least 16 random characters (such as `openssl rand -hex 32`).");
        }

        if (hasHash && (KeySha256!.Length != 64 || !IsHex(KeySha256)))
        {
            errors.Add($"{path}:KeySha256 is \"{KeySha256}\"; it must be 64 hexadecimal characters, the SHA-256 of the key.");
        }

        for (var i = 0; i < Tenants.Count; i++)
        {
            var tenant = Tenants[i];
            if (string.IsNullOrEmpty(tenant) || tenant.Length > CacheConfig.MaxTenantIdLength)
            {
                errors.Add($"{path}:Tenants:{i} is {(string.IsNullOrEmpty(tenant) ? "empty" : $"{tenant.Length} characters long")}; a tenant is 1 to {CacheConfig.MaxTenantIdLength} characters, or \"*\" for every tenant.");
            }
        }

        if (Tenants.Count == 0 && !Admin && !Metrics)
        {
            errors.Add($"{path} grants nothing: list the tenants it may use in Tenants (or \"*\"), or set Admin or Metrics to true.");
        }
    }

    private static bool IsHex(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
