using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Motadata.Cache.Server.Hosting;

/// <summary>
/// Adds the two routes the OpenAPI generator cannot see (they are not minimal-API handlers): the Prometheus scrape
/// endpoint and the OpenAPI document itself, so the document lists every route the service answers.
/// </summary>
internal sealed class InfrastructureRoutesTransformer : IOpenApiDocumentTransformer
{
    /// <inheritdoc />
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Paths ??= [];
        document.Paths["/metrics"] = PathWithGet("Metrics", "Prometheus metrics (OpenTelemetry): requests, latency, hits, misses, entries and bytes per tenant.", "text/plain");
        document.Paths["/openapi/v1.json"] = PathWithGet("OpenApi", "This OpenAPI document.", "application/json");
        return Task.CompletedTask;
    }

    private static OpenApiPathItem PathWithGet(string operationId, string summary, string contentType) => new()
    {
        Operations = new Dictionary<HttpMethod, OpenApiOperation>
        {
            [HttpMethod.Get] = new OpenApiOperation
            {
                OperationId = operationId,
                Summary = summary,
                Tags = new HashSet<OpenApiTagReference> { new("Service") },
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse
                    {
                        Description = "OK",
                        Content = new Dictionary<string, OpenApiMediaType> { [contentType] = new OpenApiMediaType() },
                    },
                },
            },
        },
    };
}
