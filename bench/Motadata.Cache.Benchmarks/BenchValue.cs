namespace Motadata.Cache.Benchmarks;

/// <summary>The reference value every cache under test holds: a small object, as an application would cache.</summary>
public sealed class BenchValue
{
    public BenchValue(int id) => Id = id;

    public int Id { get; }
}
