using NetArchTest.Rules;

namespace Motadata.Cache.Tests.Architecture;

/// <summary>
/// The layering of docs/store-layer.md, held by tests: data flows facade → tiers → backends → wire, and nothing below
/// knows what is above it. The layers are defined in one place (<see cref="StoreLayers"/>).
/// </summary>
public sealed class StoreLayerTests
{
    private static readonly System.Reflection.Assembly Library = typeof(CacheMechanism).Assembly;

    [Fact]
    public void NoStoreReferencesTheFacadeDependencyInjectionTelemetryOrHealthChecks()
    {
        string[] forbidden = [.. StoreLayers.Facade, .. StoreLayers.DependencyInjection, .. StoreLayers.FacadeTelemetry, .. StoreLayers.HealthChecks];
        AssertNone(nameof(NoStoreReferencesTheFacadeDependencyInjectionTelemetryOrHealthChecks), Stores(), forbidden);
    }

    [Fact]
    public void TelemetrysTierReferencesNoFacadeDependencyInjectionOrHealthChecks()
    {
        string[] forbidden = [.. StoreLayers.Facade, .. StoreLayers.DependencyInjection, .. StoreLayers.HealthChecks];
        AssertNone(nameof(TelemetrysTierReferencesNoFacadeDependencyInjectionOrHealthChecks), Named(Types.InAssembly(Library).That(), StoreLayers.TiersElsewhere), forbidden);
    }

    [Fact]
    public void NoBackendReferencesATier()
    {
        AssertNone(nameof(NoBackendReferencesATier), In(StoreLayers.Backends), [.. StoreLayers.Tiers, .. StoreLayers.TiersElsewhere]);
    }

    [Fact]
    public void NoTierNamesAConcreteBackendStore()
    {
        var tiers = Named(In(StoreLayers.Tiers).Or(), StoreLayers.TiersElsewhere);
        AssertNone(nameof(NoTierNamesAConcreteBackendStore), tiers, StoreLayers.ConcreteBackendStores);
    }

    [Fact]
    public void TheContractsNameNoBackendAndNoTier()
    {
        var contracts = Types.InAssembly(Library).That().ResideInNamespaceMatching(Exactly(StoreLayers.Contracts));
        AssertNone(nameof(TheContractsNameNoBackendAndNoTier), contracts, [.. StoreLayers.Backends, .. StoreLayers.Tiers, .. StoreLayers.TiersElsewhere]);
    }

    // The rules above pass by finding nothing; this shows they look at something: every layer selects types (nested
    // ones too, where a dependency may hide), the checker sees a dependency that is there, and every name of the
    // library the rules use still names something, so no rule passes because a name went stale after a move.
    [Fact]
    public void TheLayersSelectTypesAndTheNamesAreLive()
    {
        Assert.Contains(In(StoreLayers.Tiers).GetTypes(), static type => type.IsNested && type.DeclaringType!.Name == "RecoveringStore");
        Assert.NotEmpty(In(StoreLayers.Backends).GetTypes());
        Assert.NotEmpty(Named(Types.InAssembly(Library).That(), StoreLayers.TiersElsewhere).GetTypes());
        Assert.False(In(StoreLayers.Tiers).ShouldNot().HaveDependencyOn("Motadata.Cache.Stores.ICacheStore").GetResult().IsSuccessful);

        var types = Types.InAssembly(Library).GetTypes().Select(static type => (type.FullName ?? string.Empty).Replace('+', '.')).ToList();
        string[][] all = [StoreLayers.Contracts, StoreLayers.Backends, StoreLayers.Tiers, StoreLayers.TiersElsewhere, StoreLayers.ConcreteBackendStores, StoreLayers.Facade, StoreLayers.DependencyInjection, StoreLayers.FacadeTelemetry, StoreLayers.HealthChecks];
        foreach (var name in all.SelectMany(static names => names).Where(static name => name.StartsWith("Motadata.", StringComparison.Ordinal)))
        {
            Assert.True(
                types.Any(type => type == name || type.StartsWith(name + ".", StringComparison.Ordinal) || type.StartsWith(name + "`", StringComparison.Ordinal)),
                $"{name} names no type of the library (moved or renamed?): a rule using it checks nothing.");
        }
    }

    private static PredicateList Stores() =>
        In([.. StoreLayers.Contracts]);

    private static PredicateList In(string[] namespaces) =>
        Types.InAssembly(Library).That().ResideInNamespaceMatching(AnyOf(namespaces));

    /// <summary>Adds the types named <paramref name="fullNames"/> (with their nested types) to a selection, as alternatives.</summary>
    private static PredicateList Named(Predicates predicates, string[] fullNames)
    {
        PredicateList? list = null;
        foreach (var fullName in fullNames)
        {
            var dot = fullName.LastIndexOf('.');
            var from = list is null ? predicates : list.Or();
            list = from.ResideInNamespaceMatching("^" + System.Text.RegularExpressions.Regex.Escape(fullName[..dot]) + "$")
                .And().HaveNameMatching("^" + System.Text.RegularExpressions.Regex.Escape(fullName[(dot + 1)..]) + "($|`)");
        }

        return list ?? throw new ArgumentException("No type named.", nameof(fullNames));
    }

    private static void AssertNone(string rule, PredicateList types, string[] forbidden)
    {
        var exceptions = StoreLayers.Exceptions.TryGetValue(rule, out var listed) ? listed.Select(static e => e.Type).ToHashSet() : [];
        var offenders = new List<string>();
        foreach (var name in forbidden)
        {
            var result = types.ShouldNot().HaveDependencyOn(name).GetResult();
            foreach (var type in result.FailingTypeNames ?? [])
            {
                if (!exceptions.Any(e => type == e || type.StartsWith(e + "/", StringComparison.Ordinal) || type.StartsWith(e + "+", StringComparison.Ordinal)))
                {
                    offenders.Add($"{type} -> {name}");
                }
            }
        }

        Assert.True(offenders.Count == 0, $"{rule}: {string.Join("; ", offenders.Distinct())}");
    }

    // A name and everything under it.
    private static string AnyOf(IEnumerable<string> names) =>
        "^(" + string.Join("|", names.Select(static name => System.Text.RegularExpressions.Regex.Escape(name))) + @")(\..*)?$";

    private static string Exactly(IEnumerable<string> names) =>
        "^(" + string.Join("|", names.Select(static name => System.Text.RegularExpressions.Regex.Escape(name))) + ")$";
}
