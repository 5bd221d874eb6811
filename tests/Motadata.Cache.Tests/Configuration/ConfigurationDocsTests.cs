using System.Reflection;

namespace Motadata.Cache.Tests.Configuration;

/// <summary>docs/configuration.md is where users look a setting up: it must name every one.</summary>
public sealed class ConfigurationDocsTests
{
    [Fact]
    public void EveryPublicCacheConfigSettingHasARowInConfigurationDocs()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "configuration.md"));

        var missing = typeof(CacheConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.CanWrite)
            .Select(property => property.Name)
            .Where(name => !docs.Contains($"| `{name}` |", StringComparison.Ordinal))
            .ToList();

        Assert.True(missing.Count == 0, $"docs/configuration.md has no row for: {string.Join(", ", missing)}");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Motadata.Cache.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Motadata.Cache.slnx above {AppContext.BaseDirectory}.");
    }
}
