using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Agents.AI;

namespace Motadata.Cache.AI.Agents;

/// <summary>
/// The public properties an <see cref="AgentRunOptions"/> subclass adds (such as <c>ChatClientAgentRunOptions</c>'s
/// <c>ChatOptions</c> and <c>ChatClientFactory</c>), found once per type. This package builds on the agent
/// abstractions only, so it reads them by reflection rather than by naming <c>Microsoft.Agents.AI</c>'s types.
/// </summary>
internal static class RunOptionsProperties
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> s_properties = new();

    public static PropertyInfo[] Of(Type type) =>
        type == typeof(AgentRunOptions)
            ? []
            : s_properties.GetOrAdd(type, static t =>
            {
                var added = new List<PropertyInfo>();
                foreach (var property in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    if (property.DeclaringType != typeof(AgentRunOptions) && property.GetIndexParameters().Length == 0 && property.GetMethod is { IsPublic: true })
                    {
                        added.Add(property);
                    }
                }

                added.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                return [.. added];
            });
}
