using System.Reflection;
using Motadata.Cache.AI;
using Motadata.Cache.AI.Agents;

namespace Motadata.Cache.AI.Agents.Tests;

/// <summary>The AI option classes added for issue 15 each have a settings table in their docs page naming every setting.</summary>
public sealed class AIOptionsDocsTests
{
    [Theory]
    [InlineData(typeof(SemanticCacheOptions), "semantic-cache.md")]
    [InlineData(typeof(ChatHistoryCacheOptions), "agents.md")]
    [InlineData(typeof(AgentResponseCacheOptions), "agents.md")]
    public void EverySettingHasARowInItsDocsPage(Type options, string page)
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", page));

        var missing = options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.CanWrite)
            .Select(property => property.Name)
            .Where(name => !docs.Contains($"| `{name}` |", StringComparison.Ordinal))
            .ToList();

        Assert.True(missing.Count == 0, $"docs/{page} has no row for {options.Name}: {string.Join(", ", missing)}");
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
