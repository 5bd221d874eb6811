namespace Motadata.Cache.AI;

/// <summary>
/// Checks on two prompts' words that a sentence embedding cannot be trusted with: numbers, negation, swapped content
/// words, and who or what fills which role. The default <see cref="SemanticCacheOptions.PromptGuard"/>.
/// </summary>
/// <remarks>
/// Embeddings place "convert 10 miles to km" and "convert 10 km to miles", or "Who did Brutus betray?" and "Who
/// betrayed Brutus?", at a cosine similarity of 0.93 to 0.999: no threshold separates them. The guard does not try to
/// understand either prompt; it asks whether it can show that both fill the same roles with the same words, and
/// refuses the match when it cannot. Recall is what this costs (a paraphrase that uses other words is answered by the
/// model), never precision. See docs/semantic-cache.md for the rules and the figures.
/// </remarks>
public static class SemanticPromptGuard
{
    /// <summary>
    /// True when the prompts ask with the same key terms in the same roles: the same numbers (any word with a digit),
    /// the same count of negations (<c>not</c>, <c>n't</c>, <c>never</c>, <c>without</c>...), the same question words
    /// and modal classes (who/what/when/where/why/how; should, must, will), and the same content words in the same
    /// role chunks. A chunk starts at a role word (<c>to</c>, <c>from</c>, <c>in</c>, <c>into</c>, <c>than</c>,
    /// <c>minus</c>, <c>after</c>, <c>before</c>, <c>by</c>, <c>of</c>, <c>for</c>...) or a comma and holds the
    /// content words up to the next one, in order. Chunks may come in any order ("In Python, how do I reverse a list"
    /// = "How do I reverse a list in Python"); words inside a chunk may not ("Alice owes Bob" ≠ "Bob owes Alice"), nor
    /// move to another role word ("10 miles to km" ≠ "10 km to miles"). A content word on one side only refuses the
    /// match ("Is my data encrypted at rest?" narrows "Is my data encrypted?"). Case, punctuation, politeness and
    /// filler words (please, could you, tell me, usually, exactly), contractions, the possessive ("France's capital" =
    /// "capital of France"), British/American <c>-ise</c>/<c>-ize</c> and plain suffixes are ignored. English.
    /// </summary>
    /// <param name="cachedPrompt">The prompt of the cached answer.</param>
    /// <param name="prompt">The new prompt.</param>
    /// <returns>True when the match may be served.</returns>
    public static bool KeyTermsMatch(string cachedPrompt, string prompt)
    {
        ArgumentNullException.ThrowIfNull(cachedPrompt);
        ArgumentNullException.ThrowIfNull(prompt);
        return PromptShape.Of(cachedPrompt).SameAs(PromptShape.Of(prompt));
    }
}
