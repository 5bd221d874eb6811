namespace Motadata.Cache.AI;

/// <summary>A snapshot of what a caching AI client saved, for one tenant or all of them.</summary>
public sealed class AICacheStats
{
    /// <summary>The tenant these figures are for; null for every tenant together.</summary>
    public string? TenantId { get; init; }

    /// <summary>Requests (chat) or inputs (embeddings) answered from the cache by an exact match.</summary>
    public long Hits { get; init; }

    /// <summary>Chat requests answered from the cache by the semantic layer (a similar cached prompt), counted apart from <see cref="Hits"/>.</summary>
    public long SemanticHits { get; init; }

    /// <summary>Requests (chat) or inputs (embeddings) the model had to answer.</summary>
    public long Misses { get; init; }

    /// <summary>Calls the model never saw because the cache answered all of them.</summary>
    public long CallsAvoided { get; init; }

    /// <summary>Calls made to the model (each embedding batch counts once, however many inputs it held).</summary>
    public long CallsMade { get; init; }

    /// <summary>Requests that skipped the cache read (<see cref="AICacheProperties.NoCache"/>) or could not be cached (a stateful conversation); each made a model call.</summary>
    public long Bypassed { get; init; }

    /// <summary>Tokens the cached chat responses reported when they were made, summed over every hit: tokens not paid for again.</summary>
    public long TokensSaved { get; init; }

    /// <summary><see cref="Hits"/> and <see cref="SemanticHits"/> over them and misses, from 0 to 1; 0 when nothing was looked up.</summary>
    public double HitRate => Stats.HitRatio.Of(Hits + SemanticHits, Misses);

    /// <inheritdoc />
    public override string ToString() =>
        $"Hits={Hits}, SemanticHits={SemanticHits}, Misses={Misses}, HitRate={HitRate:P1}, CallsMade={CallsMade}, CallsAvoided={CallsAvoided}, Bypassed={Bypassed}, TokensSaved={TokensSaved}";
}
