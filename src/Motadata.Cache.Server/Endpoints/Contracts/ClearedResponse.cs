using System.Text.Json.Serialization;

namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>The answer of a clear: how many entries were removed.</summary>
/// <param name="Cleared">Entries removed.</param>
/// <param name="Queued">True (with status 202) when the backend is not healthy and the clear was kept to be replayed; absent otherwise.</param>
internal sealed record ClearedResponse(
    long Cleared,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Queued = false);
