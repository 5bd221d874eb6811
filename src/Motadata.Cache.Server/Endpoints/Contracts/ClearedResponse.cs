namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>The answer of a clear: how many entries were removed.</summary>
/// <param name="Cleared">Entries removed.</param>
internal sealed record ClearedResponse(long Cleared);
