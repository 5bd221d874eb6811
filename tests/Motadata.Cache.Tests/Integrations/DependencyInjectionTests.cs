using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.Tests.Integrations;

public sealed class DependencyInjectionTests
{
    [Fact]
    public async Task WhenRegisteredFromConfigurationTheCacheHasTheBoundSettings()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Cache:Backend"] = "Memory",
                ["Cache:MaxSize"] = "123",
                ["Cache:Ttl"] = "00:05:00",
                ["Cache:EnableSharding"] = "true",
                ["Cache:ShardCount"] = "4",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddMotadataCache(configuration.GetSection("Cache"));
        await using var provider = services.BuildServiceProvider();

        var cache = provider.GetRequiredService<CacheMechanism>();

        var config = cache.Config;
        Assert.Equal(CacheBackend.Memory, config.Backend);
        Assert.Equal(123, config.MaxSize);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Ttl);
        Assert.True(config.EnableSharding);
        Assert.Equal(4, config.ShardCount);
        Assert.Same(cache, provider.GetRequiredService<CacheMechanism>());
        Assert.Same(cache, provider.GetRequiredService<ICacheMechanismProvider>().GetCache());
    }

    [Fact]
    public async Task WhenRegisteredWithACallbackTheCacheHasThoseSettings()
    {
        var services = new ServiceCollection();
        services.AddMotadataCache(o => o.MaxSize = 7);
        await using var provider = services.BuildServiceProvider();

        var cache = provider.GetRequiredService<CacheMechanism>();
        cache.Set("k", "v", tenantId: "t");

        Assert.Equal(7, cache.Config.MaxSize);
        Assert.Equal("v", cache.Get<string>("k", "t"));
    }

    [Fact]
    public async Task WhenSettingsAreBadStartUpValidationFailsListingEveryBadSetting()
    {
        var services = new ServiceCollection();
        services.AddMotadataCache(o =>
        {
            o.MaxSize = 0;
            o.Ttl = TimeSpan.FromSeconds(-5);
        });
        await using var provider = services.BuildServiceProvider();

        // What the generic host runs at start-up for ValidateOnStart.
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("default Motadata cache", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxSize is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ttl is -00:00:05", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenANamedCacheIsMisconfiguredTheMessageNamesIt()
    {
        var services = new ServiceCollection();
        services.AddMotadataCache(o => o.MaxSize = 10);
        services.AddMotadataCache("sessions", o => o.Backend = CacheBackend.Dragonfly);
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("\"sessions\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("DragonflyUrl is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenSeveralCachesAreNamedEachIsItsOwnAndResolvableByName()
    {
        var services = new ServiceCollection();
        services.AddMotadataCache(o => o.MaxSize = 10);
        services.AddMotadataCache("llm", o => o.MaxSize = 20);
        services.AddMotadataCache("embeddings", o => o.MaxSize = 30);
        await using var provider = services.BuildServiceProvider();
        var caches = provider.GetRequiredService<ICacheMechanismProvider>();

        var llm = caches.GetCache("llm");
        var embeddings = provider.GetRequiredKeyedService<CacheMechanism>("embeddings");
        llm.Set("k", "from llm");

        Assert.Equal(20, llm.Config.MaxSize);
        Assert.Equal("llm", llm.Config.Name);
        Assert.Equal(30, embeddings.Config.MaxSize);
        Assert.Same(embeddings, caches.GetCache("embeddings"));
        Assert.Equal(10, caches.GetCache().Config.MaxSize);
        Assert.Null(embeddings.Get<string>("k"));
        Assert.Equal(["", "llm", "embeddings"], caches.Names);
        var error = Assert.Throws<InvalidOperationException>(() => caches.GetCache("nope"));
        Assert.Contains("\"nope\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"llm\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenTheContainerHasATimeProviderTheCacheKeepsTimeByIt()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddMotadataCache(o => o.Ttl = TimeSpan.FromMinutes(1));
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<CacheMechanism>();

        cache.Set("k", "v");
        time.Advance(TimeSpan.FromMinutes(2));

        Assert.Same(time, cache.TimeProvider);
        Assert.False(cache.TryGet<string>("k", out _));
    }

    [Fact]
    public async Task WhenTheSettingsNameATimeProviderItWinsOverTheContainers()
    {
        var own = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddMotadataCache(o => o.TimeProvider = own);
        await using var provider = services.BuildServiceProvider();

        Assert.Same(own, provider.GetRequiredService<CacheMechanism>().TimeProvider);
    }

    [Fact]
    public async Task WhenTheContainerHasLoggingAndMetricsTheCacheUsesThem()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IMeterFactory, TestMeterFactory>();
        services.AddMotadataCache("named", _ => { });
        await using var provider = services.BuildServiceProvider();

        var config = provider.GetRequiredKeyedService<CacheMechanism>("named").Config;

        Assert.Same(provider.GetRequiredService<ILoggerFactory>(), config.LoggerFactory);
        Assert.Same(provider.GetRequiredService<IMeterFactory>(), config.MeterFactory);
        Assert.IsNotType<NullLoggerFactory>(config.LoggerFactory);
    }

    [Fact]
    public async Task WhenTheContainerIsDisposedTheCacheIsDisposed()
    {
        var services = new ServiceCollection();
        services.AddMotadataCache(_ => { });
        var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<CacheMechanism>();

        await provider.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => cache.Get<string>("k"));
    }

    [Fact]
    public async Task WhenDistributedCacheIsAddedItStoresIntoTheTenantsNamespace()
    {
        var services = new ServiceCollection();
        services.AddMotadataCache(_ => { }).AddDistributedCache("web");
        await using var provider = services.BuildServiceProvider();

        var distributed = provider.GetRequiredService<IDistributedCache>();
        await distributed.SetAsync("session:1", [1, 2, 3]);

        Assert.IsAssignableFrom<IBufferDistributedCache>(distributed);
        var cache = provider.GetRequiredService<CacheMechanism>();
        Assert.True(cache.TryGet<byte[]>("session:1", out _, "web"));
        Assert.False(cache.TryGet<byte[]>("session:1", out _));
    }

    [Fact]
    public async Task WhenANamedCacheBacksTheDistributedCacheItIsAlsoKeyedByName()
    {
        var services = new ServiceCollection();
        services.AddMotadataCache(_ => { });
        services.AddMotadataCache("sessions", _ => { }).AddDistributedCache();
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IDistributedCache>().SetAsync("s", [9]);

        Assert.True(provider.GetRequiredKeyedService<CacheMechanism>("sessions").TryGet<byte[]>("s", out _));
        Assert.False(provider.GetRequiredService<CacheMechanism>().TryGet<byte[]>("s", out _));
        Assert.NotNull(await provider.GetRequiredKeyedService<IDistributedCache>("sessions").GetAsync("s"));
    }
}
