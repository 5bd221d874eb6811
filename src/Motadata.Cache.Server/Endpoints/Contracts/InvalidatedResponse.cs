namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>The answer of an invalidation: how many entries matched and were removed.</summary>
/// <param name="Invalidated">Entries removed.</param>
internal sealed record InvalidatedResponse(long Invalidated);
