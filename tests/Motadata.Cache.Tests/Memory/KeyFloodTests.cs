using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Tests.Memory;

/// <summary>
/// Keys chosen to collide under the fast, non-randomized string hash (the runtime's; anyone can compute it) must not
/// make lookups linear: the segment's table has to move to the randomized Marvin hash once it sees them, after which
/// they spread over its buckets like any keys. No timing: the test looks at the table's hashing and its longest
/// chain, and that every lookup still finds the right value.
/// </summary>
public sealed class KeyFloodTests
{
    private const int FloodSize = 2_000;

    [Fact]
    public void WhenATenantIsFloodedWithCollidingKeysItsTableSwitchesToRandomizedHashingAndTheKeysSpreadOverIt()
    {
        var keys = CollidingKeys(FloodSize);
        var firstHash = NodeTable.FastHash(keys[0]);
        Assert.All(keys, key => Assert.Equal(firstHash, NodeTable.FastHash(key)));
        Assert.Equal(FloodSize, keys.Distinct(StringComparer.Ordinal).Count());

        using var store = new MemoryStore(new CacheConfig { MaxSize = 10_000 }, new CacheCounters(), TimeProvider.System);
        var segment = store.Segment("victim");
        for (var i = 0; i < 10; i++)
        {
            store.Set(segment, $"ordinary{i}", i, Timeout.InfiniteTimeSpan);
        }

        Assert.False(segment.Entries.IsRandomized);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(store.Set(segment, keys[i], i, Timeout.InfiniteTimeSpan));
        }

        // Under the fast hash all 2,000 would share one chain. Under a random hash, 2,010 keys in at least 2,048 buckets
        // make a longest chain of about 6; 16 or more has a probability below 1e-10.
        Assert.True(segment.Entries.IsRandomized);
        Assert.True(segment.Entries.Capacity >= FloodSize);
        Assert.InRange(segment.Entries.LongestChain(), 1, 15);
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(store.TryGet(segment, keys[i], out int value));
            Assert.Equal(i, value);
        }

        Assert.Equal(FloodSize + 10, segment.Counters.Size);
    }

    /// <summary>
    /// Eight-character keys whose non-randomized hash (<see cref="NodeTable.FastHash"/>, the runtime's) is the same: the runtime hashes two characters at a time into
    /// two lanes; the first pair varies, and the third pair is solved so that the first lane ends where every other
    /// key's does (the second lane never changes).
    /// </summary>
    internal static string[] CollidingKeys(int count)
    {
        const uint Seed = (5381 << 16) + 5381;
        const uint Target = 0x2468ACE1;
        var keys = new List<string>(count);
        for (uint first = 0x00410041; keys.Count < count; first++)
        {
            var lane = Mix(Mix(Seed) ^ first);
            var third = lane ^ Target;
            var chars = new[] { (char)(first & 0xFFFF), (char)(first >> 16), 'a', 'b', (char)(third & 0xFFFF), (char)(third >> 16), 'c', 'd' };
            if (chars.Any(char.IsSurrogate) || chars.Any(c => c == '\0'))
            {
                continue;
            }

            keys.Add(new string(chars));
        }

        return [.. keys];

        static uint Mix(uint hash) => uint.RotateLeft(hash, 5) + hash;
    }
}
