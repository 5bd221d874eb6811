using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Motadata.Cache.Tests.Recovery;

/// <summary>A logger factory that keeps every line logged through it, for asserting what was logged and how often.</summary>
public sealed class RecordingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    /// <summary>The lines of one category, in the order they were logged.</summary>
    public IReadOnlyList<LogLine> For(string category) => [.. _lines.Where(line => line.Category == category)];

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(categoryName, _lines);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public sealed record LogLine(string Category, LogLevel Level, EventId EventId, string Message)
    {
        /// <summary>The trace of the activity current where the line was logged (null outside any).</summary>
        public string? TraceId { get; init; }
    }

    private sealed class RecordingLogger(string category, ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(new LogLine(category, logLevel, eventId, formatter(state, exception)) { TraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString() });
    }
}
