namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>The answer of <c>/healthz</c> and <c>/readyz</c>.</summary>
/// <param name="Status">The status, such as <c>Healthy</c>.</param>
/// <param name="Backend">The backend.</param>
internal sealed record HealthResponse(string Status, string Backend);
