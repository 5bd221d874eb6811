using System.Text.Json.Serialization;

namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>Compile-time JSON for the service's answers, in snake_case (<c>memory_usage</c>, <c>hit_rate</c>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ClearedResponse))]
[JsonSerializable(typeof(InvalidatedResponse))]
[JsonSerializable(typeof(WarmedResponse))]
[JsonSerializable(typeof(InvalidateRequest))]
[JsonSerializable(typeof(TenantStatsResponse))]
[JsonSerializable(typeof(CacheStatsResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(QueuedResponse))]
internal sealed partial class ServiceJsonContext : JsonSerializerContext;
