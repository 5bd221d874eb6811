using System.Text.Json.Serialization;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>A small object value, as an application would cache one.</summary>
public sealed record Person(string Name, int Age, IReadOnlyList<string> Tags);

/// <summary>Source-generated System.Text.Json metadata for the test values (no reflection).</summary>
[JsonSerializable(typeof(Person))]
[JsonSerializable(typeof(int))]
public sealed partial class TestJsonContext : JsonSerializerContext;
