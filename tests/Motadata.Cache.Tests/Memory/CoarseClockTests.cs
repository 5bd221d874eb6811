using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Tests.Memory;

/// <summary>The coarse-clock shortcut on the memory hit path must never let an expired entry through.</summary>
public sealed class CoarseClockTests
{
    [Fact]
    public void WithAFakeClockTheShortcutNeverAnswersSoTheFakeClockDecides()
    {
        var clock = CoarseClock.For(new FakeTimeProvider());

        Assert.False(clock.IsSurelyBefore(long.MaxValue - 1));
    }

    [Fact]
    public void OnLinuxWithTheSystemClockAFarDeadlineIsSurelyAheadAndANearOneIsNot()
    {
        var clock = CoarseClock.For(TimeProvider.System);
        var now = Stopwatch.GetTimestamp();
        var unitsPerMillisecond = Stopwatch.Frequency / 1000;
        if (!OperatingSystem.IsLinux())
        {
            // Elsewhere the shortcut is off: it never answers, even for a deadline hours away.
            Assert.False(clock.IsSurelyBefore(now + (10_000 * unitsPerMillisecond)));
            return;
        }

        Assert.True(clock.IsSurelyBefore(now + (10_000 * unitsPerMillisecond)));
        Assert.False(clock.IsSurelyBefore(now + (500 * unitsPerMillisecond)));
        Assert.False(clock.IsSurelyBefore(now - unitsPerMillisecond));
    }

    [Fact]
    public async Task WithTheSystemClockAnEntryIsNeverReturnedAfterItsTtl()
    {
        using var cache = new CacheMechanism(new CacheConfig { TimeProvider = TimeProvider.System });
        for (var i = 0; i < 20; i++)
        {
            cache.Set($"k{i}", "v", TimeSpan.FromMilliseconds(1 + i), "t");
        }

        await Task.Delay(60);

        for (var i = 0; i < 20; i++)
        {
            Assert.False(cache.TryGet<string>($"k{i}", out _, "t"));
        }
    }
}
