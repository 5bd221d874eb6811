using System.Buffers.Binary;
using Microsoft.Extensions.Caching.Distributed;

namespace Motadata.Cache.Distributed;

/// <summary>
/// The bytes an <see cref="Microsoft.Extensions.Caching.Distributed.IDistributedCache"/> entry is stored as: a
/// 17-byte header holding its expiration (so sliding and absolute expiration work the same on every backend)
/// followed by the caller's bytes. Stored as a <see cref="byte"/> array, which every backend keeps as it is.
/// </summary>
/// <remarks>
/// Layout (little-endian): byte 0 the format marker; bytes 1-8 the absolute expiration in Unix milliseconds
/// (<see cref="long.MaxValue"/> for none); bytes 9-16 the sliding expiration in ticks (0 for none).
/// </remarks>
internal static class DistributedEntry
{
    public const int HeaderSize = 17;
    private const byte FormatMarker = 0xD1;
    private const long NoAbsoluteExpiration = long.MaxValue;

    /// <summary>Works out when an entry set now expires, and the TTL to store it with, as ASP.NET Core's caches do.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="DistributedCacheEntryOptions.AbsoluteExpiration"/> is not in the future.</exception>
    public static (long AbsoluteUnixMs, long SlidingTicks, TimeSpan? Ttl) Plan(DistributedCacheEntryOptions options, DateTimeOffset now)
    {
        DateTimeOffset? absolute = null;
        if (options.AbsoluteExpiration is { } at)
        {
            if (at <= now)
            {
                // Parameter name and first sentence as RedisCache and MemoryDistributedCache give them, so code and
                // tests written against those keep working: the name is the option's, not this method's parameter.
#pragma warning disable CA2208
                throw new ArgumentOutOfRangeException(
                    nameof(DistributedCacheEntryOptions.AbsoluteExpiration),
                    at,
                    $"The absolute expiration value must be in the future. It is {at:O}, and now is {now:O}: use a later time or AbsoluteExpirationRelativeToNow.");
#pragma warning restore CA2208
            }

            absolute = at;
        }

        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            absolute = now + relative;
        }

        var sliding = options.SlidingExpiration;
        TimeSpan? ttl = (absolute, sliding) switch
        {
            ({ } abs, { } slide) => Min(abs - now, slide),
            ({ } abs, null) => abs - now,
            (null, { } slide) => slide,
            _ => null,
        };

        return (absolute?.ToUnixTimeMilliseconds() ?? NoAbsoluteExpiration, sliding?.Ticks ?? 0, ttl);
    }

    public static byte[] Create(ReadOnlySpan<byte> payload, long absoluteUnixMs, long slidingTicks)
    {
        var entry = new byte[HeaderSize + payload.Length];
        entry[0] = FormatMarker;
        BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(1), absoluteUnixMs);
        BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(9), slidingTicks);
        payload.CopyTo(entry.AsSpan(HeaderSize));
        return entry;
    }

    /// <summary>
    /// Reads an entry's header at <paramref name="now"/>. False when the bytes are not an entry or it has expired;
    /// otherwise <paramref name="refreshTtl"/> is the TTL a sliding entry is to be stored again with (null when it
    /// does not slide).
    /// </summary>
    public static bool TryRead(byte[] entry, DateTimeOffset now, out TimeSpan? refreshTtl)
    {
        refreshTtl = null;
        if (entry.Length < HeaderSize || entry[0] != FormatMarker)
        {
            return false;
        }

        var absoluteUnixMs = BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(1));
        var slidingTicks = BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(9));
        var nowUnixMs = now.ToUnixTimeMilliseconds();
        if (absoluteUnixMs != NoAbsoluteExpiration && nowUnixMs >= absoluteUnixMs)
        {
            return false;
        }

        if (slidingTicks > 0)
        {
            var ttl = TimeSpan.FromTicks(slidingTicks);
            if (absoluteUnixMs != NoAbsoluteExpiration)
            {
                ttl = Min(ttl, TimeSpan.FromMilliseconds(absoluteUnixMs - nowUnixMs));
            }

            refreshTtl = ttl;
        }

        return true;
    }

    public static ReadOnlySpan<byte> Payload(byte[] entry) => entry.AsSpan(HeaderSize);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
