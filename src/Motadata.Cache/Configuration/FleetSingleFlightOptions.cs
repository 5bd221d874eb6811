namespace Motadata.Cache;

/// <summary>
/// Fleet-wide single flight (<see cref="LocalLevelOptions.FleetSingleFlight"/>): the first instance to miss takes a
/// lease on the server and runs the factory; the others wait for its value (woken by the backplane) and take over if
/// the lease runs out. See docs/two-level.md.
/// </summary>
public sealed class FleetSingleFlightOptions
{
    /// <summary>
    /// How long a lease lives unless its holder renews it (it does, every third of this, while its factory runs): how
    /// long the others wait before taking over from a holder that died.
    /// </summary>
    /// <value>Default 10 seconds.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A copy of these settings.</summary>
    /// <returns>The copy.</returns>
    public FleetSingleFlightOptions Clone() => (FleetSingleFlightOptions)MemberwiseClone();
}
