using System.Text.Json;

namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>The body of <c>POST /v1/tenants/{tenant}/warm</c>; described for the OpenAPI document, read by <see cref="WarmBody"/>.</summary>
/// <param name="Entries">Key to JSON value; each value is stored as its JSON text, served back as <c>application/json</c>.</param>
/// <param name="Ttl">Seconds the entries live; absent for the configured default.</param>
internal sealed record WarmRequest(Dictionary<string, JsonElement> Entries, long? Ttl);
