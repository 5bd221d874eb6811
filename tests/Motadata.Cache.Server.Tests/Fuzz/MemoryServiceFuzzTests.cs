namespace Motadata.Cache.Server.Tests.Fuzz;

/// <summary>The fuzz runs against the service on the memory backend.</summary>
public sealed class MemoryServiceFuzzTests : ServiceFuzzTests
{
    protected override IEnumerable<KeyValuePair<string, string?>> BackendSettings => [new("Cache:Backend", "Memory")];
}
