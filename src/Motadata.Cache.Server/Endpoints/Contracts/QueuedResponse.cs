namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>The 202 answer of a key's <c>DELETE</c> while the backend is not healthy: the removal was kept to be replayed.</summary>
/// <param name="Queued">Always true.</param>
internal sealed record QueuedResponse(bool Queued);
