namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>The body of <c>POST /v1/tenants/{tenant}/invalidate</c>.</summary>
/// <param name="Pattern">A Redis glob: <c>*</c>, <c>?</c>, <c>[abc]</c>, <c>[a-z]</c>, <c>[^a]</c>, <c>\</c> to escape.</param>
internal sealed record InvalidateRequest(string? Pattern);
