using System.Reflection;
using Microsoft.Agents.AI;
using Motadata.Cache.AI.Internal;

namespace Motadata.Cache.AI.Agents;

/// <summary>
/// The public properties an <see cref="AgentRunOptions"/> subclass adds (such as <c>ChatClientAgentRunOptions</c>'s
/// <c>ChatOptions</c> and <c>ChatClientFactory</c>), found once per type. This package builds on the agent
/// abstractions only, so it reads them by reflection rather than by naming <c>Microsoft.Agents.AI</c>'s types.
/// </summary>
internal static class RunOptionsProperties
{
    private static readonly PropertyScanner s_properties = new(static property => property.DeclaringType != typeof(AgentRunOptions));

    public static PropertyInfo[] Of(Type type) => type == typeof(AgentRunOptions) ? [] : s_properties.Of(type);
}
