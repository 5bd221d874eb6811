using System.Text.Json.Serialization;

namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>The answer of an invalidation: how many entries matched and were removed.</summary>
/// <param name="Invalidated">Entries removed.</param>
/// <param name="Queued">True (with status 202) when the backend is not healthy and the invalidation was kept to be replayed; absent otherwise.</param>
internal sealed record InvalidatedResponse(
    long Invalidated,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Queued = false);
