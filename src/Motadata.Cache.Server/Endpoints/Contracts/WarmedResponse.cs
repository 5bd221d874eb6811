namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>The answer of a warm: how many entries were stored.</summary>
/// <param name="Warmed">Entries stored.</param>
internal sealed record WarmedResponse(long Warmed);
