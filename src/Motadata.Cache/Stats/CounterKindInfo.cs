namespace Motadata.Cache.Stats;

/// <summary>What a <see cref="CounterKind"/> means, whom it is kept for, where statistics show it and which instruments report it.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Scope">Per namespace or for the whole cache.</param>
/// <param name="Section">Where a <see cref="CacheStats"/> shows it.</param>
/// <param name="Description">What it counts, for people.</param>
/// <param name="Instruments">The instruments that report it.</param>
internal sealed record CounterKindInfo(
    CounterKind Kind,
    CounterScope Scope,
    CounterSection Section,
    string Description,
    CounterInstrument[] Instruments);
