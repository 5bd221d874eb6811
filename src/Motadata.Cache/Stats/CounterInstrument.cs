namespace Motadata.Cache.Stats;

/// <summary>
/// One instrument a <see cref="CounterKind"/> is reported on: its name, and the tag (name and value) that tells this
/// kind apart from the others reported on the same instrument, if any.
/// </summary>
/// <param name="Name">The instrument (see <see cref="CacheDiagnostics"/>).</param>
/// <param name="Unit">Its unit, UCUM style.</param>
/// <param name="Description">What it counts (the first kind that names an instrument gives its description).</param>
/// <param name="TagName">The tag telling kinds apart on a shared instrument; null when the kind has it alone.</param>
/// <param name="TagValue">This kind's value of <paramref name="TagName"/>.</param>
/// <param name="LocalTableOnly">Read from the local level's table only (its hits are local hits too).</param>
internal readonly record struct CounterInstrument(
    string Name,
    string Unit,
    string Description,
    string? TagName = null,
    string? TagValue = null,
    bool LocalTableOnly = false);
