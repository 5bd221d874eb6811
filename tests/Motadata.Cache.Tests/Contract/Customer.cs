namespace Motadata.Cache.Tests.Contract;

/// <summary>A small record value, as an application would cache one (serialized with System.Text.Json on a server).</summary>
public sealed record Customer(int Id, string Name, IReadOnlyList<string> Roles);
