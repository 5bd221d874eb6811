namespace Motadata.Cache.Stores;

/// <summary>
/// One exact health signal a tier hands the tier above it (the local level) through the composition root: whether it
/// is handling no failure now. Read on the local level's hit path, so it takes no lock and allocates nothing.
/// </summary>
internal interface IHealthSignal
{
    /// <summary>True while no failure is being handled (nothing journaled, breaker closed, last failure settled).</summary>
    bool IsHealthy { get; }
}
