using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Motadata.Cache.Server.Hosting;

/// <summary>
/// Answers the exceptions a request can expect. A backend failure is a 503 whose body says only that the backend
/// failed and which trace to look for: the backend's own text (StackExchange.Redis names the commands queued beside
/// the failed one, other tenants' keys included) goes to the log under the request's trace id, never to the caller
/// (issue 21, N8). A client that went away mid-upload, or sent a body that ends early, is one line at Information,
/// with no stack trace, since nothing on the server failed. Anything else is left to the default handler (a 500,
/// logged as an error).
/// </summary>
internal sealed partial class ServiceExceptionHandler : IExceptionHandler
{
    private readonly IProblemDetailsService _problems;
    private readonly ILogger<ServiceExceptionHandler> _logger;

    /// <summary>Creates the handler.</summary>
    /// <param name="problems">Writes the problem answers.</param>
    /// <param name="logger">Where failures are logged.</param>
    public ServiceExceptionHandler(IProblemDetailsService problems, ILogger<ServiceExceptionHandler> logger)
    {
        _problems = problems;
        _logger = logger;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // The value the problem body's trace_id carries (ASP.NET Core's writer and ProblemJsonWriter both write
        // Activity.Id, the W3C traceparent), so the id in the log, in the 503's detail and in the body is one string.
        var traceId = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        var request = httpContext.Request;
        var exceptionType = exception.GetType().Name;
        // BadHttpRequestException is an IOException too: it is told apart here, or Kestrel's 408 and 413 (and a broken
        // chunked body) would be answered with a bare status and logged as a client that went away.
        if (httpContext.RequestAborted.IsCancellationRequested || exception is IOException and not BadHttpRequestException)
        {
            // The client is gone: there is no one to answer.
            LogAborted(_logger, request.Method, request.Path, exceptionType, exception.Message, traceId);
            return true;
        }

        switch (exception)
        {
            case BadHttpRequestException { StatusCode: StatusCodes.Status400BadRequest } bad:
                // A body that ended before its Content-Length (or broken framing): almost always a client that closed
                // its connection mid-upload. One Information line as for an abort, and a problem for a client still there.
                LogAborted(_logger, request.Method, request.Path, exceptionType, exception.Message, traceId);
                return await WriteAsync(httpContext, exception, bad.StatusCode, bad.Message);
            case BadHttpRequestException bad:
                LogBadRequest(_logger, request.Method, request.Path, bad.StatusCode, bad.Message, traceId);
                return await WriteAsync(httpContext, exception, bad.StatusCode, bad.Message);
            case CacheBackendException backend:
                LogBackendFailure(_logger, backend, request.Method, request.Path, traceId);
                return await WriteAsync(
                    httpContext,
                    exception,
                    StatusCodes.Status503ServiceUnavailable,
                    $"The cache backend failed to answer; the service's log has the reason under trace id {traceId}. Nothing was changed by this request unless it says so; retry later.");
            default:
                return false;
        }
    }

    private async ValueTask<bool> WriteAsync(HttpContext context, Exception exception, int status, string detail)
    {
        if (context.Response.HasStarted)
        {
            return false;
        }

        context.Response.StatusCode = status;
        return await _problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Detail = detail },
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} ended early: the client closed the connection or aborted its body ({ExceptionType}: {Reason}); trace id {TraceId}.")]
    private static partial void LogAborted(ILogger logger, string method, PathString path, string exceptionType, string reason, string traceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} answered {Status}: {Reason} (trace id {TraceId}).")]
    private static partial void LogBadRequest(ILogger logger, string method, PathString path, int status, string reason, string traceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: the cache backend failed (trace id {TraceId}).")]
    private static partial void LogBackendFailure(ILogger logger, Exception exception, string method, PathString path, string traceId);
}
