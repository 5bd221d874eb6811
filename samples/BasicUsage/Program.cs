// The spec's usage examples, in C#: dotnet run --project samples/BasicUsage
using Motadata.Cache;

// In-memory cache
var config = new CacheConfig
{
    Backend = CacheBackend.Memory,
    MaxSize = 1000,
    Ttl = TimeSpan.FromHours(1),
};
await using var cache = new CacheMechanism(config);

// Set, get, delete
cache.Set("key1", "value1", ttl: TimeSpan.FromHours(1), tenantId: "tenant_123");
var value = cache.Get<string>("key1", tenantId: "tenant_123");
Console.WriteLine($"get key1 -> {value}");
cache.Delete("key1", tenantId: "tenant_123");
Console.WriteLine($"after delete -> {cache.Get("key1", tenantId: "tenant_123", defaultValue: "(miss)")}");

// Pattern-based invalidation
cache.Set("user_1", "alice", tenantId: "tenant_123");
cache.Set("user_2", "bob", tenantId: "tenant_123");
cache.Set("order_1", "book", tenantId: "tenant_123");
var invalidated = cache.Invalidate("user_*", tenantId: "tenant_123");
Console.WriteLine($"Invalidated {invalidated} keys");

// Cache warming
var warmData = new Dictionary<string, string>
{
    ["key1"] = "value1",
    ["key2"] = "value2",
    ["key3"] = "value3",
};
var warmed = cache.WarmCache(warmData, tenantId: "tenant_123");
Console.WriteLine($"Warmed {warmed} keys");

// Get-or-set: concurrent callers share one factory run
var answer = await cache.GetOrSetAsync(
    "llm:answer:42",
    async cancellationToken =>
    {
        await Task.Delay(10, cancellationToken);
        return "The answer is 42.";
    },
    ttl: TimeSpan.FromMinutes(5),
    tenantId: "tenant_123");
Console.WriteLine($"get-or-set -> {answer}");

// Statistics
cache.Get<string>("key1", tenantId: "tenant_123");
cache.Get<string>("missing", tenantId: "tenant_123");
var stats = cache.GetStats(tenantId: "tenant_123");
Console.WriteLine($"Hits: {stats.Hits}, Misses: {stats.Misses}, Size: {stats.Size}, Memory: {stats.MemoryUsage} bytes");
Console.WriteLine($"Hit Rate: {stats.HitRate * 100:F2}%");

// Clear the tenant
var cleared = cache.Clear(tenantId: "tenant_123");
Console.WriteLine($"Cleared {cleared} keys");
