using System.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Motadata.Cache.Server.Endpoints;

/// <summary>
/// Writes a problem as <c>application/problem+json</c> whatever the request's <c>Accept</c> says. ASP.NET Core's own
/// writer declines a request that accepts no JSON type (<c>Accept: text/plain</c>, which generated clients send), and
/// with no writer left a problem became an empty 500. Registered after the default writer, so a request that accepts
/// JSON gets exactly the answer it got before; every other request gets this one, with the same fields.
/// </summary>
internal sealed class ProblemJsonWriter : IProblemDetailsWriter
{
    private const string ProblemContentType = "application/problem+json";
    private readonly ProblemDetailsOptions _options;
    private readonly IOptions<JsonOptions> _json;

    /// <summary>Creates the writer.</summary>
    /// <param name="options">The problem settings (their <see cref="ProblemDetailsOptions.CustomizeProblemDetails"/> runs here too).</param>
    /// <param name="json">The service's JSON settings.</param>
    public ProblemJsonWriter(IOptions<ProblemDetailsOptions> options, IOptions<JsonOptions> json)
    {
        _options = options.Value;
        _json = json;
    }

    /// <inheritdoc/>
    public bool CanWrite(ProblemDetailsContext context) => true;

    /// <inheritdoc/>
    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var httpContext = context.HttpContext;
        var problem = context.ProblemDetails;
        problem.Status ??= httpContext.Response.StatusCode;
        problem.Type ??= TypeOf(problem.Status.Value);
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value) is { Length: > 0 } phrase ? phrase : "Error";
        // Named as ASP.NET Core's writer names it, through the service's naming policy ("trace_id").
        var serializerOptions = _json.Value.SerializerOptions;
        var traceIdName = serializerOptions.PropertyNamingPolicy?.ConvertName("traceId") ?? "traceId";
        if (!problem.Extensions.ContainsKey(traceIdName))
        {
            problem.Extensions[traceIdName] = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        }

        _options.CustomizeProblemDetails?.Invoke(context);
        var typeInfo = serializerOptions.GetTypeInfo(problem.GetType());
        return new ValueTask(httpContext.Response.WriteAsJsonAsync(problem, typeInfo, ProblemContentType));
    }

    /// <summary>The same <c>type</c> links ASP.NET Core's writer gives (its table is internal); null, read as <c>about:blank</c>, for the rest.</summary>
    private static string? TypeOf(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        403 => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        406 => "https://tools.ietf.org/html/rfc9110#section-15.5.7",
        408 => "https://tools.ietf.org/html/rfc9110#section-15.5.9",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        412 => "https://tools.ietf.org/html/rfc9110#section-15.5.13",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        422 => "https://tools.ietf.org/html/rfc4918#section-11.2",
        426 => "https://tools.ietf.org/html/rfc9110#section-15.5.22",
        500 => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
        502 => "https://tools.ietf.org/html/rfc9110#section-15.6.3",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        504 => "https://tools.ietf.org/html/rfc9110#section-15.6.5",
        _ => null,
    };
}
