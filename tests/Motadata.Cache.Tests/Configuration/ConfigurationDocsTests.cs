using System.Reflection;

namespace Motadata.Cache.Tests.Configuration;

/// <summary>docs/configuration.md is where users look a setting up: it must name every one, and say where each v1 name went.</summary>
public sealed class ConfigurationDocsTests
{
    private static readonly Type[] s_groups =
    [
        typeof(MemoryOptions), typeof(DragonflyOptions), typeof(ReadBatchingOptions), typeof(RecoveryOptions),
        typeof(IntegrityOptions), typeof(LocalLevelOptions), typeof(FleetSingleFlightOptions),
    ];

    [Fact]
    public void EveryPublicCacheConfigSettingHasARowInConfigurationDocs()
    {
        var docs = Docs();

        var missing = CurrentSettings(typeof(CacheConfig))
            .Where(name => !docs.Contains($"| `{name}` |", StringComparison.Ordinal))
            .ToList();

        Assert.True(missing.Count == 0, $"docs/configuration.md has no row for: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EverySettingOfEveryGroupHasARowNamedByItsPathFromCacheConfig()
    {
        var docs = Docs();

        // The path a user writes: LocalLevel.FleetSingleFlight.LeaseDuration, as in code and (with ':') in configuration.
        var missing = GroupPaths()
            .Where(path => !docs.Contains($"| `{path}` |", StringComparison.Ordinal))
            .ToList();

        Assert.True(missing.Count == 0, $"docs/configuration.md has no row for: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EveryV1SettingHasAMigrationRowToWhereItsObsoleteMessageSendsIt()
    {
        var docs = Docs();

        var missing = new List<string>();
        foreach (var property in typeof(CacheConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<ObsoleteAttribute>() is not { Message: { } message })
            {
                continue;
            }

            // "Use LocalLevel.MaxSize." -> the row | `LocalMaxSize` | `LocalLevel.MaxSize` |
            var target = message["Use ".Length..].Split(' ')[0].TrimEnd('.');
            if (!docs.Contains($"| `{property.Name}` | `{target}`", StringComparison.Ordinal))
            {
                missing.Add($"{property.Name} -> {target}");
            }
        }

        Assert.True(missing.Count == 0, $"docs/configuration.md has no migration row for: {string.Join(", ", missing)}");
    }

    private static IEnumerable<string> CurrentSettings(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.GetCustomAttribute<ObsoleteAttribute>() is null)
            .Where(property => property.CanWrite || typeof(System.Collections.IEnumerable).IsAssignableFrom(property.PropertyType) && property.PropertyType != typeof(string))
            .Select(property => property.Name);

    private static List<string> GroupPaths()
    {
        var paths = new List<string>();
        Walk(typeof(CacheConfig), string.Empty);
        return paths;

        void Walk(Type type, string prefix)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetCustomAttribute<ObsoleteAttribute>() is not null)
                {
                    continue;
                }

                var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                if (s_groups.Contains(propertyType))
                {
                    Walk(propertyType, prefix + property.Name + ".");
                }
                else if (prefix.Length > 0)
                {
                    paths.Add(prefix + property.Name);
                }
            }
        }
    }

    private static string Docs() => File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "configuration.md"));

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
