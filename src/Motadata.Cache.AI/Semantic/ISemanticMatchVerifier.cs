namespace Motadata.Cache.AI;

/// <summary>
/// A last check on a semantic match, for what no word rule can settle: a cross-encoder, a small model asked "do these
/// two questions have the same answer?", a domain rule. Set on <see cref="SemanticCacheOptions.Verifier"/>.
/// </summary>
/// <remarks>
/// It runs only on a candidate that is already similar enough (<see cref="SemanticCacheOptions.Threshold"/>) and that
/// passed <see cref="SemanticCacheOptions.PromptGuard"/>, best candidate first, so an exact hit or a clear miss never
/// reaches it. False refuses the candidate (the next one is tried, and with none left the model answers). An exception
/// is not caught: the request fails as a failing model call would, so a broken verifier is seen, not turned into hits.
/// </remarks>
public interface ISemanticMatchVerifier
{
    /// <summary>Whether the answer cached for <paramref name="cachedPrompt"/> also answers <paramref name="newPrompt"/>.</summary>
    /// <param name="cachedPrompt">The prompt the cached answer was given for.</param>
    /// <param name="newPrompt">The prompt being asked now.</param>
    /// <param name="similarity">The cosine similarity of the two prompts' embeddings, at least the threshold.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    /// <returns>True to serve the cached answer; false to refuse this candidate.</returns>
    ValueTask<bool> VerifyAsync(string cachedPrompt, string newPrompt, float similarity, CancellationToken cancellationToken);
}
