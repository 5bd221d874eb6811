namespace Motadata.Cache.AI.Internal;

/// <summary>One cached prompt in a tenant's semantic index: what it answers, where its answer is, and when it expires.</summary>
internal sealed class SemanticEntry(string id, string scope, string prompt, string answerKey, long cachedAtUtcTicks, long expiresAtUtcTicks, float[] vector)
{
    /// <summary>The entry's id: 32 hex characters of the hash of <see cref="AnswerKey"/>; its key is the prefix, <c>e:</c> and the id.</summary>
    public string Id { get; } = id;

    /// <summary>The hash of what must be equal for a match besides the prompt: model, version, options, tools, earlier messages, namespace.</summary>
    public string Scope { get; } = scope;

    public string Prompt { get; } = prompt;

    /// <summary>The exact-match key of the answer, in the same tenant.</summary>
    public string AnswerKey { get; } = answerKey;

    public long CachedAtUtcTicks { get; } = cachedAtUtcTicks;

    public long ExpiresAtUtcTicks { get; } = expiresAtUtcTicks;

    /// <summary>The prompt's embedding, normalised to length 1; null once the index has copied it into its slab (one copy in memory, not two).</summary>
    public float[]? Vector { get; set; } = vector;

    /// <summary>Where the vector sits in its partition's slab; kept by the index.</summary>
    public int Slot { get; set; } = -1;
}
