using Microsoft.Extensions.AI;

namespace Motadata.Cache.AI;

/// <summary>
/// Turns on the semantic layer of <see cref="MotadataCachingChatClient"/> (<see cref="ChatCacheOptions.Semantic"/>): on
/// an exact-key miss, the request's last user message is embedded and a cached answer to a similar enough question is
/// served, in the same tenant and for the same model, system instructions, earlier messages, tools and options only.
/// </summary>
public sealed class SemanticCacheOptions
{
    /// <summary>
    /// The default <see cref="Threshold"/>, for all-MiniLM-L6-v2 embeddings. Precision comes from the prompt guard, which
    /// refuses every near-miss of the labelled set at any threshold from 0.80 up; the threshold trades recall (higher
    /// misses politeness and punctuation variants) against guard work (lower sends more candidates to it). See docs/semantic-cache.md.
    /// </summary>
    public const float DefaultThreshold = 0.85f;

    /// <summary>Embeds prompts; required. Its vectors are normalised before use, so any length will do; all must have the same dimension count.</summary>
    /// <value>Default null (must be set).</value>
    public IEmbeddingGenerator<string, Embedding<float>>? EmbeddingGenerator { get; set; }

    /// <summary>The lowest cosine similarity, from -1 to 1 exclusive of -1, at which a cached prompt counts as the same question.</summary>
    /// <value>Default <see cref="DefaultThreshold"/> (0.85). Tune it for your embedding model: the default was measured on MiniLM.</value>
    public float Threshold { get; set; } = DefaultThreshold;

    /// <summary>
    /// A check on the two prompts' text after the similarity passes; false rejects the match. Embeddings place
    /// "Q1 2024" and "Q2 2024", "safe" and "not safe", or "10 miles to km" and "10 km to miles" almost on top of each
    /// other, so by default <see cref="SemanticPromptGuard.KeyTermsMatch"/> requires the same numbers, negations and
    /// question words, and the same content words in the same roles. Null for no check (similarity alone: not advised).
    /// </summary>
    /// <value>Default <see cref="SemanticPromptGuard.KeyTermsMatch"/>.</value>
    public Func<string, string, bool>? PromptGuard { get; set; } = SemanticPromptGuard.KeyTermsMatch;

    /// <summary>
    /// A last check for what no word rule settles (a cross-encoder, a cheap model call), run only on candidates above
    /// <see cref="Threshold"/> that passed <see cref="PromptGuard"/>, best first; false refuses the candidate. Null for none.
    /// </summary>
    /// <value>Default null.</value>
    public ISemanticMatchVerifier? Verifier { get; set; }

    /// <summary>The most prompts kept in one tenant's index in this process (the oldest go first); at least 1.</summary>
    /// <value>Default 10,000.</value>
    public int MaxEntriesPerTenant { get; set; } = 10_000;

    /// <summary>
    /// The most tenants whose index this process holds; past it the least recently used tenant's index leaves (its
    /// prompts stay in the cache and are read again when the tenant comes back). At least 1. Memory is about this
    /// times the tenants' entries times the vector size (five bytes a dimension: the floats and an 8-bit copy).
    /// </summary>
    /// <value>Default 1,000.</value>
    public int MaxTenants { get; set; } = 1_000;

    /// <summary>
    /// How often a tenant's index is brought up to date with the server (entries other instances added, and ones
    /// cleared): at the first lookup after this much time. Another instance's entry is served within this delay, or
    /// twice it when two instances write at the same moment. Zero checks at every lookup.
    /// </summary>
    /// <value>Default 5 seconds.</value>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>What the semantic entries' keys start with, inside the tenant's namespace.</summary>
    /// <value>Default <c>"sem:"</c>.</value>
    public string KeyPrefix { get; set; } = "sem:";

    internal void Validate()
    {
        var errors = new List<string>();
        if (EmbeddingGenerator is null)
        {
            errors.Add("EmbeddingGenerator is null; give the generator that embeds prompts.");
        }

        if (!(Threshold > -1f && Threshold <= 1f))
        {
            errors.Add($"Threshold is {Threshold}; it must be above -1 and at most 1 (default {DefaultThreshold}).");
        }

        if (MaxEntriesPerTenant < 1)
        {
            errors.Add($"MaxEntriesPerTenant is {MaxEntriesPerTenant}; it must be at least 1.");
        }

        if (MaxTenants < 1)
        {
            errors.Add($"MaxTenants is {MaxTenants}; it must be at least 1.");
        }

        if (RefreshInterval < TimeSpan.Zero)
        {
            errors.Add($"RefreshInterval is {RefreshInterval}; it must be zero or more.");
        }

        if (string.IsNullOrEmpty(KeyPrefix))
        {
            errors.Add("KeyPrefix is empty; give a prefix such as \"sem:\".");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("The semantic cache options are not valid:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", errors), "options");
        }
    }
}
