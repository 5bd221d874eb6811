using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Motadata.Cache.Server.Configuration;
using Motadata.Cache.Server.Security;

namespace Motadata.Cache.Server.Hosting;

/// <summary>
/// Makes the OpenAPI document one that generated clients (Kiota, NSwag, openapi-typescript) can live by (issue 25):
/// what the generator infers from the handlers is corrected here, in one place, after every other transformer.
/// <list type="bullet">
/// <item>A value is any bytes with any content type: <c>*/*</c> as <c>format: binary</c> for PUT and GET, not base64
/// text under three media types (NSwag could not read a value back, TypeScript typed JSON as a string).</item>
/// <item><c>ttl</c> is a declared optional integer query parameter of PUT, not only words in a description.</item>
/// <item>503 (backend away), <c>WWW-Authenticate</c> on 401 and <c>Retry-After</c> on 429 are described; <c>/metrics</c>
/// lists 401/403 when it needs a key; public routes (every route when no keys are
/// configured) say <c>security: []</c>.</item>
/// <item>Numbers are integers (or numbers), not <c>["integer","string"]</c>: the service refuses numbers as strings.</item>
/// <item><c>WarmRequest.entries</c> maps keys to any JSON value and its <c>ttl</c> is optional; <c>ProblemDetails</c>
/// carries <c>trace_id</c>; parameter descriptions do not ask for a second percent-encoding; <c>servers</c> has no
/// trailing slash.</item>
/// </list>
/// </summary>
internal sealed class ClientContractTransformer : IOpenApiDocumentTransformer
{
    private const string ProblemSchema = "ProblemDetails";
    private const string ProblemMediaType = "application/problem+json";

    private const string TenantDescription =
        "The tenant, 1 to 256 characters, sent as one path segment: percent-encode it once as any path parameter is " +
        "(generated clients do), '/' as %2F.";

    private const string KeyDescription =
        "The key, 1 to Cache:MaxKeyLength characters, sent as one path segment: percent-encode it once as any path " +
        "parameter is (generated clients do), '/' as %2F and '%' as %25. The keys '.' and '..' cannot be named in a path.";

    /// <inheritdoc />
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var services = context.ApplicationServices;
        var keys = services.GetRequiredService<ApiKeyRing>().Enabled;
        var metricsNeedKey = keys && services.GetRequiredService<ServiceOptions>().Metrics.RequireApiKey;

        if (document.Servers is { Count: > 0 } servers)
        {
            foreach (var server in servers)
            {
                server.Url = server.Url?.TrimEnd('/');
            }
        }

        // What @redocly/cli's recommended rules ask of every document: a license, and tags that say what they group.
        document.Info ??= new OpenApiInfo();
        document.Info.License ??= new OpenApiLicense { Name = "MIT", Identifier = "MIT" };
        document.Info.Description ??= "Motadata.Cache over HTTP: a multi-tenant, API-key secured REST cache (docs/service.md).";
        DescribeTags(document);

        FixSchemas(document);
        foreach (var (path, item) in document.Paths)
        {
            if (item.Operations is null)
            {
                continue;
            }

            foreach (var (_, operation) in item.Operations)
            {
                var secured = operation.Security is { Count: > 0 };
                FixParameters(operation);
                FixValueBodies(operation);
                if (path.StartsWith("/v1/", StringComparison.Ordinal))
                {
                    // Every cache route reaches the backend, which may be away (Dragonfly).
                    AddProblem(operation, document, "503", "The backend did not answer or did not store the value (Dragonfly); nothing was changed unless the answer says so. Retry later.");
                }

                if (path == "/metrics" && metricsNeedKey)
                {
                    AddProblem(operation, document, "401", "No API key, or one this service does not know.");
                    AddProblem(operation, document, "403", "The key may not read metrics (it needs \"Metrics\": true or \"Admin\": true).");
                    secured = true;
                }

                if (!secured)
                {
                    // Public (every route when no keys are configured): a generated client must not require
                    // credentials here, and a linter sees that the operation's security was decided, not forgotten.
                    operation.Security = [];
                }

                if (operation.Responses is { } responses && !responses.Keys.Any(static status => status.StartsWith('4')))
                {
                    // Every route refuses a target it cannot read as one route (RequestTargetMiddleware) with 400.
                    AddProblem(operation, document, "400", "The request target was refused: a '.', '..' or empty segment, a '\\', or a malformed path.");
                }

                DescribeHeaders(operation);
            }
        }

        return Task.CompletedTask;
    }

    private static void DescribeTags(OpenApiDocument document)
    {
        var descriptions = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Tenant"] = "One tenant's entries: keys, values, invalidation, warming and statistics (a key allowed that tenant).",
            ["Admin"] = "The whole cache: statistics, clearing every tenant, the operator page's figures (admin keys only).",
            ["Health"] = "Liveness and readiness probes (no key).",
            ["Service"] = "Metrics and this document.",
        };
        document.Tags ??= new HashSet<OpenApiTag>();
        foreach (var tag in document.Tags)
        {
            if (tag.Name is { } name && descriptions.TryGetValue(name, out var description))
            {
                tag.Description ??= description;
                descriptions.Remove(name);
            }
        }

        if (descriptions.Remove("Service", out var service))
        {
            document.Tags.Add(new OpenApiTag { Name = "Service", Description = service });
        }
    }

    private static void FixParameters(OpenApiOperation operation)
    {
        if (operation.Parameters is { } parameters)
        {
            foreach (var parameter in parameters.OfType<OpenApiParameter>())
            {
                parameter.Description = parameter.Name switch
                {
                    "tenant" when parameter.In == ParameterLocation.Path => TenantDescription,
                    "key" when parameter.In == ParameterLocation.Path => KeyDescription,
                    _ => parameter.Description,
                };
            }
        }

        if (operation.OperationId == "SetKey")
        {
            operation.Parameters ??= [];
            if (!operation.Parameters.Any(static parameter => parameter.Name == "ttl"))
            {
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "ttl",
                    In = ParameterLocation.Query,
                    Required = false,
                    Description = "How long the value lives, in whole seconds (1 to 2147483647); absent, Cache:Ttl applies.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1", Maximum = "2147483647" },
                });
            }
        }
    }

    private static void FixValueBodies(OpenApiOperation operation)
    {
        switch (operation.OperationId)
        {
            case "SetKey" when operation.RequestBody is OpenApiRequestBody body:
                body.Required = true;
                body.Description = "The value: any bytes, stored as sent with their Content-Type (none: application/octet-stream) and served back with it.";
                body.Content = new Dictionary<string, OpenApiMediaType> { ["*/*"] = new() { Schema = Binary() } };
                break;
            case "GetKey" when operation.Responses?.TryGetValue("200", out var found) == true && found is OpenApiResponse ok:
                ok.Description = "The stored value, byte for byte, with the Content-Type it was stored with.";
                ok.Content = new Dictionary<string, OpenApiMediaType> { ["*/*"] = new() { Schema = Binary() } };
                break;
        }
    }

    private static OpenApiSchema Binary() => new() { Type = JsonSchemaType.String, Format = "binary" };

    private static void AddProblem(OpenApiOperation operation, OpenApiDocument document, string status, string description)
    {
        operation.Responses ??= [];
        if (operation.Responses.ContainsKey(status))
        {
            return;
        }

        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { [ProblemMediaType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) } },
        };
    }

    private static void DescribeHeaders(OpenApiOperation operation)
    {
        if (operation.Responses is null)
        {
            return;
        }

        foreach (var (status, response) in operation.Responses)
        {
            if (response is not OpenApiResponse described)
            {
                continue;
            }

            switch (status)
            {
                case "401":
                    described.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    described.Headers["WWW-Authenticate"] = new OpenApiHeader
                    {
                        Description = "Bearer realm=\"Motadata.Cache\" (with error=\"invalid_token\" for an unknown key).",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    };
                    break;
                case "429":
                    described.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    described.Headers["Retry-After"] = new OpenApiHeader
                    {
                        Description = "Seconds to wait before retrying.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
                    };
                    break;
            }
        }
    }

    private static void FixSchemas(OpenApiDocument document)
    {
        if (document.Components?.Schemas is not { } schemas)
        {
            return;
        }

        foreach (var (name, schema) in schemas)
        {
            if (schema is not OpenApiSchema concrete)
            {
                continue;
            }

            FixNumbers(concrete);
            switch (name)
            {
                case "WarmRequest":
                    concrete.Required?.Remove("ttl");
                    if (concrete.Properties?.TryGetValue("entries", out var entries) == true && entries is OpenApiSchema map)
                    {
                        // Any JSON value per key (an empty schema), not Record<string, never>.
                        map.AdditionalProperties = new OpenApiSchema();
                        map.AdditionalPropertiesAllowed = true;
                        map.Description = "Each key with its value: any JSON value, stored as its JSON text and served back as application/json.";
                    }

                    if (concrete.Properties?.TryGetValue("ttl", out var ttl) == true && ttl is OpenApiSchema ttlSchema)
                    {
                        ttlSchema.Type = JsonSchemaType.Integer | JsonSchemaType.Null;
                        ttlSchema.Minimum = "1";
                        ttlSchema.Maximum = "2147483647";
                        ttlSchema.Description = "How long the values live, in whole seconds; absent or null, Cache:Ttl applies.";
                    }

                    break;
                case "InvalidateRequest":
                    if (concrete.Properties?.TryGetValue("pattern", out var pattern) == true && pattern is OpenApiSchema patternSchema)
                    {
                        patternSchema.Type = JsonSchemaType.String;
                        patternSchema.Description = "A Redis glob over the tenant's keys, such as user_*.";
                    }

                    break;
                case ProblemSchema:
                    concrete.Properties ??= new Dictionary<string, IOpenApiSchema>();
                    concrete.Properties["trace_id"] = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Description = "The W3C trace id of the request, to find its log lines.",
                    };
                    break;
            }
        }
    }

    /// <summary>
    /// <c>["integer","string"]</c> with a digits pattern is what System.Text.Json's web defaults (numbers readable
    /// from strings) make the generator write; the service writes numbers and refuses strings, so say so.
    /// </summary>
    private static void FixNumbers(OpenApiSchema schema)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String) && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        if (schema.Properties is { } properties)
        {
            foreach (var property in properties.Values.OfType<OpenApiSchema>())
            {
                FixNumbers(property);
            }
        }

        if (schema.Items is OpenApiSchema items)
        {
            FixNumbers(items);
        }
    }
}
