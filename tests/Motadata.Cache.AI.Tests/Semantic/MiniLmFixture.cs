namespace Motadata.Cache.AI.Tests.Semantic;

/// <summary>One MiniLM model per test class: loading it takes a second or two, encoding a sentence a few milliseconds.</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Generator { get; } = new();

    public void Dispose() => Generator.Dispose();
}
