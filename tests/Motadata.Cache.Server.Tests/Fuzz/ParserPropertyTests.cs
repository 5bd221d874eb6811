using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Motadata.Cache.Server.Endpoints;
using Motadata.Cache.Server.Security;

namespace Motadata.Cache.Server.Tests.Fuzz;

/// <summary>The route parser and the warm body reader, called directly with arbitrary and mutated input: they answer, never throw.</summary>
public sealed class ParserPropertyTests
{
    [Property(MaxTest = 2000)]
    public bool RouteParserNeverThrows(string? target, bool hasKey)
    {
        target ??= string.Empty;
        var path = RequestTarget.Path(target);
        _ = RequestTarget.FindAmbiguity(path);
        _ = CachePath.TryParse(target, hasKey ? RouteAccess.TenantKey : RouteAccess.Tenant("stats"), out _, out _);
        return true;
    }

    [Property(MaxTest = 2000)]
    public Property WarmBodyReaderAnswersEveryBodyWithoutThrowing() =>
        Prop.ForAll(Arb.From(ServiceFuzzTests.MutatedBody()), body =>
        {
            var parsed = WarmBody.TryParse(body, 4096, 1000, out var entries, out _, out var error, out _);
            return parsed ? error is null : error is { Length: > 0 } && entries is not null;
        });
}
