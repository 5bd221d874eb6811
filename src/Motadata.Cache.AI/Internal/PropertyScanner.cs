using System.Collections.Concurrent;
using System.Reflection;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// The public, readable, non-indexed instance properties of a type that <paramref name="include"/> keeps, sorted by
/// name (ordinal, so a key written from them does not depend on reflection's order), found once per type.
/// </summary>
/// <param name="include">Which of those properties to keep; a static lambda, since a scanner lives for the process.</param>
internal sealed class PropertyScanner(Func<PropertyInfo, bool> include)
{
    private readonly ConcurrentDictionary<Type, PropertyInfo[]> _properties = new();

    /// <summary>The kept properties of <paramref name="type"/>; after the first call for a type, a lookup that allocates nothing.</summary>
    public PropertyInfo[] Of(Type type) => _properties.GetOrAdd(type, static (t, include) => Scan(t, include), include);

    private static PropertyInfo[] Scan(Type type, Func<PropertyInfo, bool> include)
    {
        var kept = new List<PropertyInfo>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0 && property.GetMethod is { IsPublic: true } && include(property))
            {
                kept.Add(property);
            }
        }

        kept.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return [.. kept];
    }
}
