using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Motadata.Cache.Server.Configuration;
using Motadata.Cache.Server.Security;

namespace Motadata.Cache.Server.Hosting;

/// <summary>
/// Describes the API-key scheme in the OpenAPI document when keys are configured: a bearer scheme, required by
/// every tenant and admin route (the routes carrying <see cref="RouteAccess"/>), so generated clients send the key.
/// </summary>
internal sealed class ApiKeySecurityTransformer : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    /// <summary>The scheme's name in <c>components.securitySchemes</c>.</summary>
    public const string SchemeName = "ApiKey";

    /// <inheritdoc />
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        if (KeysConfigured(context.ApplicationServices))
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key of Service:ApiKeys, sent as 'Authorization: Bearer <key>'.",
            };

            if (context.ApplicationServices.GetRequiredService<ServiceOptions>().Metrics.RequireApiKey
                && document.Paths.TryGetValue("/metrics", out var metrics)
                && metrics.Operations?.TryGetValue(HttpMethod.Get, out var scrape) == true)
            {
                scrape.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] }];
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (KeysConfigured(context.ApplicationServices) && context.Description.ActionDescriptor.EndpointMetadata.OfType<RouteAccess>().Any())
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] }];
        }

        return Task.CompletedTask;
    }

    private static bool KeysConfigured(IServiceProvider services) => services.GetRequiredService<ApiKeyRing>().Enabled;
}
