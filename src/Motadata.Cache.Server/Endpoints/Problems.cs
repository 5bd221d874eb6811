using Microsoft.AspNetCore.Mvc;

namespace Motadata.Cache.Server.Endpoints;

/// <summary>Writes RFC 9457 <c>application/problem+json</c> answers with a message a person can act on.</summary>
internal static class Problems
{
    /// <summary>Writes a problem answer.</summary>
    /// <param name="context">The request.</param>
    /// <param name="status">The HTTP status.</param>
    /// <param name="detail">What was wrong and what to do instead.</param>
    /// <returns>A task that completes when the answer is written.</returns>
    public static ValueTask WriteAsync(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        return service.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Detail = detail },
        });
    }
}
