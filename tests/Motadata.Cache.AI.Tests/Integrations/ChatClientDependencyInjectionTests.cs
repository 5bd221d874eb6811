using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace Motadata.Cache.AI.Tests.Integrations;

/// <summary>The chat client's cache from the container, beside the core cache's other registrations.</summary>
public sealed class ChatClientDependencyInjectionTests
{
    [Fact]
    public async Task WhenThreeLinesAreAddedHybridCacheAndTheChatClientUseTheCache()
    {
        var model = new FakeChatClient();
        var services = new ServiceCollection();
        services.AddMotadataCache(o => o.MaxSize = 1000).AddDistributedCache("web");
        services.AddHybridCache();
        services.AddChatClient(model).UseMotadataCache(o => o.TenantId = "web");
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<CacheMechanism>();

        await provider.GetRequiredService<HybridCache>().GetOrCreateAsync("product", _ => ValueTask.FromResult("widget"));
        var chat = provider.GetRequiredService<IChatClient>();
        await chat.GetResponseAsync("hi");
        await chat.GetResponseAsync("hi");

        Assert.True(cache.TryGet<byte[]>("product", out _, "web"));
        Assert.Equal(1, model.Calls);
        Assert.Equal(1, chat.GetService<Motadata.Cache.AI.MotadataCachingChatClient>()!.Statistics.GetStats("web").Hits);
    }

    [Fact]
    public void WhenTheChatClientWantsTheContainersCacheButThereIsNoneItSaysWhatToDo()
    {
        var services = new ServiceCollection();
        services.AddChatClient(new FakeChatClient()).UseMotadataCache();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IChatClient>());

        Assert.Contains("AddMotadataCache", error.Message, StringComparison.Ordinal);
    }
}
