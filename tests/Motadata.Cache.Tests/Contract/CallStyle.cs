namespace Motadata.Cache.Tests.Contract;

/// <summary>Which twin of a cache method a test calls: the synchronous one or its async twin.</summary>
public enum CallStyle
{
    Sync,
    Async,
}
