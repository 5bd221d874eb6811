using System.Diagnostics.Metrics;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>An <see cref="IMeterFactory"/> like the host's: its meters carry it as their scope, so a collector can listen to this factory's meters only.</summary>
public sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        options.Scope = this;
        var meter = new Meter(options);
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }

            _meters.Clear();
        }
    }
}
