namespace Motadata.Cache.Tests.Memory;

/// <summary>
/// Soak tests keep every core busy; they run alone, after the parallel tests, so they neither starve the tests that
/// talk to a real server (whose calls would time out) nor get starved themselves.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoakTestGroup
{
    public const string Name = "Soak";
}
