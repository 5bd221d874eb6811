using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Motadata.Cache.AI;

/// <summary>
/// What a caching AI client saved, per tenant: hits, misses, calls made and avoided, tokens saved. One instance
/// per client by default; pass the same instance to several clients to add their figures up. The figures are also
/// reported to the <see cref="MeterName"/> meter, tagged by kind (<c>chat</c>, <c>embedding</c>) and, for the first
/// <see cref="CacheDiagnostics.MaxTenantTags"/> tenants, by tenant.
/// </summary>
public sealed class AICacheCounters
{
    /// <summary>The name of the meter the AI caching clients report to.</summary>
    public const string MeterName = "Motadata.Cache.AI";

    private static readonly Meter s_meter = new(MeterName, typeof(AICacheCounters).Assembly.GetName().Version?.ToString());
    private static readonly Counter<long> s_hits = s_meter.CreateCounter<long>("motadata.cache.ai.hits", "{request}", "Requests or inputs answered from the cache.");
    private static readonly Counter<long> s_semanticHits = s_meter.CreateCounter<long>("motadata.cache.ai.semantic_hits", "{request}", "Requests answered from the cache by a similar cached prompt.");
    private static readonly Counter<long> s_misses = s_meter.CreateCounter<long>("motadata.cache.ai.misses", "{request}", "Requests or inputs the model had to answer.");
    private static readonly Counter<long> s_callsAvoided = s_meter.CreateCounter<long>("motadata.cache.ai.calls_avoided", "{call}", "Model calls the cache made unnecessary.");
    private static readonly Counter<long> s_tokensSaved = s_meter.CreateCounter<long>("motadata.cache.ai.tokens_saved", "{token}", "Tokens of cached responses served again.");
    private static readonly Telemetry.TenantTagGuard s_tenantTags = new(CacheDiagnostics.MaxTenantTags);

    private readonly ConcurrentDictionary<string, Counters> _tenants = new(StringComparer.Ordinal);
    private readonly Counters _global = new();

    /// <summary>Figures for one tenant, or with no tenant for every tenant and the global namespace together.</summary>
    /// <param name="tenantId">The tenant; null for the total.</param>
    /// <returns>A snapshot.</returns>
    public AICacheStats GetStats(string? tenantId = null)
    {
        if (tenantId is not null)
        {
            return _tenants.TryGetValue(tenantId, out var one) ? one.Snapshot(tenantId) : new AICacheStats { TenantId = tenantId };
        }

        var total = new Counters();
        total.Add(_global);
        foreach (var pair in _tenants)
        {
            total.Add(pair.Value);
        }

        return total.Snapshot(null);
    }

    internal void RecordHit(string kind, string? tenantId, long count, bool callAvoided, long tokensSaved)
    {
        var counters = For(tenantId);
        Interlocked.Add(ref counters.Hits, count);
        if (callAvoided)
        {
            Interlocked.Increment(ref counters.CallsAvoided);
        }

        if (tokensSaved > 0)
        {
            Interlocked.Add(ref counters.TokensSaved, tokensSaved);
        }

        if (s_hits.Enabled || s_callsAvoided.Enabled || s_tokensSaved.Enabled)
        {
            var tags = Tags(kind, tenantId);
            s_hits.Add(count, tags);
            if (callAvoided)
            {
                s_callsAvoided.Add(1, tags);
            }

            if (tokensSaved > 0)
            {
                s_tokensSaved.Add(tokensSaved, tags);
            }
        }
    }

    internal void RecordSemanticHit(string kind, string? tenantId, long tokensSaved)
    {
        var counters = For(tenantId);
        Interlocked.Increment(ref counters.SemanticHits);
        Interlocked.Increment(ref counters.CallsAvoided);
        if (tokensSaved > 0)
        {
            Interlocked.Add(ref counters.TokensSaved, tokensSaved);
        }

        if (s_semanticHits.Enabled || s_callsAvoided.Enabled || s_tokensSaved.Enabled)
        {
            var tags = Tags(kind, tenantId);
            s_semanticHits.Add(1, tags);
            s_callsAvoided.Add(1, tags);
            if (tokensSaved > 0)
            {
                s_tokensSaved.Add(tokensSaved, tags);
            }
        }
    }

    internal void RecordMiss(string kind, string? tenantId, long count)
    {
        var counters = For(tenantId);
        Interlocked.Add(ref counters.Misses, count);
        Interlocked.Increment(ref counters.CallsMade);
        if (s_misses.Enabled)
        {
            s_misses.Add(count, Tags(kind, tenantId));
        }
    }

    internal void RecordBypass(string? tenantId)
    {
        var counters = For(tenantId);
        Interlocked.Increment(ref counters.Bypassed);
        Interlocked.Increment(ref counters.CallsMade);
    }

    private static TagList Tags(string kind, string? tenantId)
    {
        var tags = new TagList { { "cache.ai.kind", kind } };
        if (tenantId is not null)
        {
            tags.Add(CacheDiagnostics.TenantTag, TenantTag(tenantId));
        }

        return tags;
    }

    // The cache's own bound on tenant tags (first come, first tagged; the rest "(other)"), shared by every AI client.
    private static string TenantTag(string tenantId) => s_tenantTags.Tag(tenantId);

    private Counters For(string? tenantId) =>
        tenantId is null ? _global : _tenants.GetOrAdd(tenantId, static _ => new Counters());

    private sealed class Counters
    {
        public long Hits;
        public long SemanticHits;
        public long Misses;
        public long CallsAvoided;
        public long CallsMade;
        public long Bypassed;
        public long TokensSaved;

        public void Add(Counters other)
        {
            Hits += Volatile.Read(ref other.Hits);
            SemanticHits += Volatile.Read(ref other.SemanticHits);
            Misses += Volatile.Read(ref other.Misses);
            CallsAvoided += Volatile.Read(ref other.CallsAvoided);
            CallsMade += Volatile.Read(ref other.CallsMade);
            Bypassed += Volatile.Read(ref other.Bypassed);
            TokensSaved += Volatile.Read(ref other.TokensSaved);
        }

        public AICacheStats Snapshot(string? tenantId) => new()
        {
            TenantId = tenantId,
            Hits = Volatile.Read(ref Hits),
            SemanticHits = Volatile.Read(ref SemanticHits),
            Misses = Volatile.Read(ref Misses),
            CallsAvoided = Volatile.Read(ref CallsAvoided),
            CallsMade = Volatile.Read(ref CallsMade),
            Bypassed = Volatile.Read(ref Bypassed),
            TokensSaved = Volatile.Read(ref TokensSaved),
        };
    }
}
