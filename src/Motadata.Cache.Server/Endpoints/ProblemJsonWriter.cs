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
        problem.Title ??= ReasonPhrases.GetReasonPhrase(problem.Status.Value) is { Length: > 0 } phrase ? phrase : "Error";
        if (!problem.Extensions.ContainsKey("traceId"))
        {
            problem.Extensions["traceId"] = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        }

        _options.CustomizeProblemDetails?.Invoke(context);
        var typeInfo = _json.Value.SerializerOptions.GetTypeInfo(problem.GetType());
        return new ValueTask(httpContext.Response.WriteAsJsonAsync(problem, typeInfo, ProblemContentType));
    }
}
