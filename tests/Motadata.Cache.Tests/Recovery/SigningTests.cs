using System.Security.Cryptography;
using Motadata.Cache.Serialization;
using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.Recovery;

/// <summary>
/// <see cref="CacheConfig.SigningKey"/>: every payload carries an HMAC-SHA256, and a value on the server that this
/// application did not sign is corrupt (a miss, counted and removed), so whoever can write to the shared server
/// cannot plant values in the cache. Against a real <c>redis-server</c>, plus the codec on its own for tampering.
/// </summary>
public sealed class SigningTests : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly byte[] s_key = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] s_otherKey = RandomNumberGenerator.GetBytes(32);

    private readonly RedisServerFixture _fixture;
    private readonly string _prefix = RedisServerFixture.UniquePrefix("signing");
    private readonly List<CacheMechanism> _caches = [];

    public SigningTests(RedisServerFixture fixture) => _fixture = fixture;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    [Fact]
    public async Task WithASigningKeyEveryKindOfValueRoundTrips()
    {
        var cache = CreateCache(s_key);
        var person = new Person("Ada", 36, ["math"]);
        Assert.True(await cache.SetAsync("text", "héllo"));
        Assert.True(cache.Set("bytes", new byte[] { 0, 1, 255 }));
        Assert.True(await cache.SetAsync("person", person));
        Assert.True(await cache.SetAsync<string?>("null", null));
        Assert.Equal(2, await cache.WarmCacheAsync(new Dictionary<string, int> { ["w1"] = 1, ["w2"] = 2 }));

        Assert.Equal("héllo", await cache.GetAsync<string>("text"));
        Assert.Equal(new byte[] { 0, 1, 255 }, cache.Get<byte[]>("bytes"));
        Assert.Equal(person.Name, (await cache.GetAsync<Person>("person"))!.Name);
        Assert.True(cache.TryGet<string?>("null", out var nothing));
        Assert.Null(nothing);
        Assert.Equal(2, (await cache.GetManyAsync<int>(["w1", "w2"])).Count);
        Assert.Equal(0, cache.GetStats().CorruptPayloads);
    }

    [Fact]
    public async Task AnUnsignedValueOnTheServerIsAMissCountedAsCorruptAndRemoved()
    {
        var planter = CreateCache(signingKey: null);
        var signed = CreateCache(s_key);
        Assert.True(await planter.SetAsync("k", "planted", tenantId: "t1"));

        Assert.Null(await signed.GetAsync<string>("k", tenantId: "t1"));
        Assert.Equal(1, signed.GetStats().CorruptPayloads);
        Assert.Null(await planter.GetAsync<string>("k", tenantId: "t1"));
    }

    [Fact]
    public async Task AValueSignedWithAnotherKeyIsAMissCountedAsCorruptAndRemoved()
    {
        var other = CreateCache(s_otherKey);
        var signed = CreateCache(s_key);
        Assert.True(other.Set("a", "theirs"));
        Assert.True(other.Set("b", "theirs"));

        Assert.Null(signed.Get<string>("a"));
        Assert.Empty(await signed.GetManyAsync<string>(["b"]));
        Assert.Equal(2, signed.GetStats().CorruptPayloads);
        Assert.Null(other.Get<string>("a"));
        Assert.Null(other.Get<string>("b"));
    }

    [Fact]
    public async Task AReaderWithoutAKeyReadsSignedValues()
    {
        var signed = CreateCache(s_key);
        var reader = CreateCache(signingKey: null);
        Assert.True(await signed.SetAsync("k", "v"));
        Assert.Equal("v", await reader.GetAsync<string>("k"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ATamperedValueHeaderOrSignatureFailsVerification(bool withChecksum)
    {
        var good = Encode("a value worth protecting", withChecksum, s_key);
        Assert.Equal(PayloadStatus.Found, Decode(good, s_key));

        for (var i = 0; i < good.Length; i++)
        {
            if (i == 0)
            {
                continue; // The version byte is checked before the signature, and rejected either way.
            }

            var tampered = (byte[])good.Clone();
            tampered[i] ^= 0x01;
            Assert.Equal(PayloadStatus.Corrupt, Decode(tampered, s_key));
        }
    }

    [Fact]
    public void AStringCannotBePassedOffAsBytesBehindAValidSignature()
    {
        var good = Encode("text", withChecksum: false, s_key);
        good[1] = (byte)((good[1] & ~0x07) | (byte)PayloadKind.Bytes);
        Assert.Equal(PayloadStatus.Corrupt, Decode(good, s_key));
    }

    [Fact]
    public void ATruncatedSignedPayloadIsCorrupt()
    {
        var good = Encode("v", withChecksum: false, s_key);
        Assert.Equal(PayloadStatus.Corrupt, Decode(good[..(PayloadCodec.HeaderLength + 3)], s_key));
    }

    [Fact]
    public void TheValueLengthBoundExcludesTheSignature()
    {
        var payload = PayloadCodec.Encode(new byte[100], SystemTextJsonCacheSerializer.Default, withChecksum: true, s_key);
        Assert.Equal(100, payload.ValueLength);
        Assert.Equal(PayloadCodec.HeaderLength + PayloadCodec.ChecksumLength + 100 + PayloadCodec.SignatureLength, payload.Memory.Length);
        payload.Return();
    }

    private static byte[] Encode<T>(T value, bool withChecksum, byte[]? key)
    {
        var payload = PayloadCodec.Encode(value, SystemTextJsonCacheSerializer.Default, withChecksum, key);
        var bytes = payload.Memory.ToArray();
        payload.Return();
        return bytes;
    }

    private static PayloadStatus Decode(byte[] payload, byte[]? key) =>
        PayloadCodec.Decode<string>(payload, SystemTextJsonCacheSerializer.Default, out _, out _, key);

    private CacheMechanism CreateCache(byte[]? signingKey)
    {
        var cache = new CacheMechanism(new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = _fixture.Server.Url,
            KeyPrefix = _prefix,
            SigningKey = signingKey,

            // Generous, because the machine is shared: with recovery on, a timed-out call would read as a miss.
            OperationTimeout = TimeSpan.FromSeconds(5),
        });
        _caches.Add(cache);
        return cache;
    }
}
