using Motadata.Cache.Configuration;

namespace Motadata.Cache.Tests.Configuration;

public sealed class DragonflyEndpointTests
{
    [Theory]
    [InlineData("dragonfly://localhost", "localhost:6379", false, 0, null, null)]
    [InlineData("dragonfly://localhost:6380", "localhost:6380", false, 0, null, null)]
    [InlineData("DRAGONFLY://LocalHost:1", "LocalHost:1", false, 0, null, null)]
    [InlineData("dragonflys://cache.example.com", "cache.example.com:6379", true, 0, null, null)]
    [InlineData("redis://10.0.0.5:7000/3", "10.0.0.5:7000", false, 3, null, null)]
    [InlineData("rediss://h:6380/15", "h:6380", true, 15, null, null)]
    [InlineData("redis://user:pass@h", "h:6379", false, 0, "user", "pass")]
    [InlineData("redis://:pass@h:1/0", "h:1", false, 0, null, "pass")]
    [InlineData("redis://pass@h", "h:6379", false, 0, null, "pass")]
    [InlineData("redis://u:p%40ss%2Fw@h", "h:6379", false, 0, "u", "p@ss/w")]
    [InlineData("redis://u:p@ss@h", "h:6379", false, 0, "u", "p@ss")]
    [InlineData("redis://:p/w?x#y@h:1/2", "h:1", false, 2, null, "p/w?x#y")]
    [InlineData("dragonfly://a:1,b:2,c", "a:1,b:2,c:6379", false, 0, null, null)]
    [InlineData("dragonfly://a:1, b:2/4", "a:1,b:2", false, 4, null, null)]
    [InlineData("dragonfly://[::1]:6379", "[::1]:6379", false, 0, null, null)]
    [InlineData("dragonfly://[::1]", "[::1]:6379", false, 0, null, null)]
    [InlineData("dragonfly://[fe80::1]:7000,127.0.0.1:7001", "[fe80::1]:7000,127.0.0.1:7001", false, 0, null, null)]
    [InlineData("dragonfly://h:65535", "h:65535", false, 0, null, null)]
    public void WhenTheUrlIsWellFormedItParsesIntoHostsCredentialsDatabaseAndTls(string url, string hosts, bool tls, int database, string? user, string? password)
    {
        Assert.True(DragonflyEndpoint.TryParse(url, out var endpoint, out var error), error);

        Assert.Equal(hosts, endpoint.Describe());
        Assert.Equal(tls, endpoint.UseTls);
        Assert.Equal(database, endpoint.Database);
        Assert.Equal(user, endpoint.User);
        Assert.Equal(password, endpoint.Password);
        Assert.Null(error);
        new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = url }.Validate();
        if (password is not null)
        {
            Assert.DoesNotContain(password, endpoint.ToString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("http://localhost:6379", "unknown scheme")]
    [InlineData("memcached://localhost", "unknown scheme")]
    [InlineData("localhost:6379", "no scheme")]
    [InlineData("://localhost", "no scheme")]
    [InlineData("dragonfly://", "no host")]
    [InlineData("dragonfly:///0", "no host")]
    [InlineData("dragonfly://user:pw@", "no host")]
    [InlineData("dragonfly://h:0", "bad endpoint")]
    [InlineData("dragonfly://h:65536", "bad endpoint")]
    [InlineData("dragonfly://h:-1", "bad endpoint")]
    [InlineData("dragonfly://h:port", "bad endpoint")]
    [InlineData("dragonfly://h:", "bad endpoint")]
    [InlineData("dragonfly://:6379", "bad endpoint")]
    [InlineData("dragonfly://a:1,,b:2", "bad endpoint")]
    [InlineData("dragonfly://[::1", "bad endpoint")]
    [InlineData("dragonfly://[::1]x", "bad endpoint")]
    [InlineData("dragonfly://h/db", "bad database")]
    [InlineData("dragonfly://h/-1", "bad database")]
    [InlineData("dragonfly://h/99999", "bad database")]
    [InlineData("", "empty")]
    [InlineData("  ", "empty")]
    public void WhenTheUrlIsMalformedTheErrorSaysWhatIsWrongAndWhatIsAllowed(string url, string problem)
    {
        Assert.False(DragonflyEndpoint.TryParse(url, out var endpoint, out var error));

        Assert.Null(endpoint);
        Assert.Contains(problem, error, StringComparison.Ordinal);
        Assert.Contains("dragonfly://", error, StringComparison.Ordinal);
        var exception = Assert.Throws<ArgumentException>(() => new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = url }.Validate());
        Assert.Contains("DragonflyUrl", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dragonfly://user:pw@h:1", "dragonfly://user:***@h:1")]
    [InlineData("dragonfly://pw@h", "dragonfly://***@h")]
    [InlineData("dragonfly://h:1/2", "dragonfly://h:1/2")]
    [InlineData("redis://u:p@ss@h/1", "redis://u:***@h/1")]
    [InlineData("redis://u:p/ss@h/1", "redis://u:***@h/1")]
    public void WhenAUrlIsMaskedOnlyThePasswordIsHidden(string url, string masked)
    {
        Assert.Equal(masked, DragonflyEndpoint.Mask(url));
    }
}
