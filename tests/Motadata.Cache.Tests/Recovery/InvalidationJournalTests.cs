using Motadata.Cache.Stores.Tiers.Recovery;

namespace Motadata.Cache.Tests.Recovery;

/// <summary>The journal on its own: what it keeps, how it overflows, and what a replay removes.</summary>
public sealed class InvalidationJournalTests
{
    private static JournalEntry Delete(string? tenant, string key) => new(JournalOperation.Delete, tenant, key);

    private static JournalEntry Invalidate(string? tenant, string pattern) => new(JournalOperation.Invalidate, tenant, pattern);

    private static JournalEntry ClearNamespace(string? tenant) => new(JournalOperation.ClearNamespace, tenant, null);

    [Fact]
    public void WhenTheSameRemovalIsMadeTwiceItIsKeptOnce()
    {
        var journal = new InvalidationJournal(10);
        journal.Add(Delete("t1", "k"));
        journal.Add(Delete("t1", "k"));
        journal.Add(Delete("t2", "k"));
        journal.Add(Delete(null, "k"));

        Assert.Equal([Delete("t1", "k"), Delete("t2", "k"), Delete(null, "k")], journal.TakeSnapshot());
    }

    [Fact]
    public void WhenANamespaceReachesItsBudgetOnlyItsOwnEntriesBecomeAClearOfIt()
    {
        var journal = new InvalidationJournal(10, namespaceBudget: 2);
        Assert.False(journal.Add(Delete("t1", "a")));
        Assert.False(journal.Add(Invalidate("t2", "user_*")));
        Assert.False(journal.Add(Delete(null, "g")));
        Assert.False(journal.Add(Delete("t1", "b")));
        Assert.True(journal.Add(Delete("t1", "c")));

        Assert.True(journal.Overflowed);
        Assert.Equal(
            new HashSet<JournalEntry> { Invalidate("t2", "user_*"), Delete(null, "g"), ClearNamespace("t1") },
            journal.TakeSnapshot().ToHashSet());

        // Later removals of the widened namespace are covered by its clear; other namespaces' stay exact.
        var afterSnapshot = new InvalidationJournal(10, namespaceBudget: 2);
        afterSnapshot.Add(Delete("t1", "a"));
        afterSnapshot.Add(Delete("t1", "b"));
        afterSnapshot.Add(Delete("t1", "c"));
        Assert.False(afterSnapshot.Add(Delete("t1", "d")));
        Assert.False(afterSnapshot.Add(Delete("t2", "e")));
        Assert.Equal([ClearNamespace("t1"), Delete("t2", "e")], afterSnapshot.TakeSnapshot());
    }

    [Fact]
    public void WhenOneTenantFloodsTheJournalAnotherTenantsQueuedDeleteStaysExact()
    {
        var journal = new InvalidationJournal(100);
        journal.Add(Delete("globex", "patient-1"));
        var widenings = 0;
        for (var i = 0; i < 10_000; i++)
        {
            widenings += journal.Add(Delete("acme", $"k{i}")) ? 1 : 0;
        }

        Assert.Equal(1, widenings);
        Assert.Equal([Delete("globex", "patient-1"), ClearNamespace("acme")], journal.TakeSnapshot());
    }

    [Fact]
    public void WhenTheJournalIsFullTheNamespaceHoldingTheMostEntriesIsWidened()
    {
        var journal = new InvalidationJournal(4, namespaceBudget: 4);
        journal.Add(Delete("t1", "a"));
        journal.Add(Delete("t1", "b"));
        journal.Add(Delete("t1", "c"));
        journal.Add(Delete("t2", "x"));

        Assert.True(journal.Add(Delete("t2", "y")));
        Assert.Equal([Delete("t2", "x"), ClearNamespace("t1"), Delete("t2", "y")], journal.TakeSnapshot());
    }

    [Fact]
    public void WhenMoreNamespacesThanTheCapacityOverflowEverythingIsCleared()
    {
        var journal = new InvalidationJournal(2);
        journal.Add(Delete("t1", "a"));
        journal.Add(Delete("t2", "a"));
        journal.Add(Delete("t3", "a"));

        Assert.Equal([JournalEntry.ClearAll], journal.TakeSnapshot());
    }

    [Fact]
    public void AClearOfEverythingReplacesWhateverWasKept()
    {
        var journal = new InvalidationJournal(10);
        journal.Add(Delete("t1", "a"));
        journal.Add(JournalEntry.ClearAll);
        journal.Add(Delete("t2", "b"));

        Assert.Equal([JournalEntry.ClearAll], journal.TakeSnapshot());
    }

    [Fact]
    public void AReplayRemovesOnlyWhatItApplied()
    {
        var journal = new InvalidationJournal(10, namespaceBudget: 10);
        journal.Add(Delete("t1", "a"));
        journal.Add(Delete("t1", "b"));
        var snapshot = journal.TakeSnapshot();
        var generation = journal.Generation;

        // Made again while the replay runs: the replay may have passed it already, so it is kept again.
        journal.Add(Delete("t1", "a"));
        journal.Add(Delete("t1", "c"));
        journal.Complete(Applied(snapshot.Length), generation);

        Assert.Equal([Delete("t1", "a"), Delete("t1", "c")], journal.TakeSnapshot());
    }

    [Fact]
    public void AReplayThatFailedHalfwayKeepsTheRest()
    {
        var journal = new InvalidationJournal(10, namespaceBudget: 10);
        journal.Add(Delete("t1", "a"));
        journal.Add(Delete("t1", "b"));
        journal.Add(Delete("t1", "c"));
        var generation = journal.Generation;
        journal.TakeSnapshot();
        journal.Complete([ReplayOutcome.Applied, ReplayOutcome.Failed, ReplayOutcome.Failed], generation);

        Assert.Equal(2, journal.Count);
        journal.Add(Delete("t1", "b"));
        Assert.Equal([Delete("t1", "b"), Delete("t1", "c")], journal.TakeSnapshot());
    }

    [Fact]
    public void AReplayOfEntriesRewrittenByAnOverflowRemovesNothing()
    {
        var journal = new InvalidationJournal(2);
        journal.Add(Delete("t1", "a"));
        journal.Add(Delete("t1", "b"));
        var snapshot = journal.TakeSnapshot();
        var generation = journal.Generation;
        journal.Add(Delete("t1", "c"));
        journal.Complete(Applied(snapshot.Length), generation);

        Assert.Equal([ClearNamespace("t1")], journal.TakeSnapshot());
        Assert.True(journal.Overflowed);
    }

    [Fact]
    public void WhenEverythingWasReplayedTheJournalIsEmptyAndNoLongerOverflowed()
    {
        var journal = new InvalidationJournal(1);
        journal.Add(Delete("t1", "a"));
        journal.Add(Delete("t1", "b"));
        var generation = journal.Generation;
        var snapshot = journal.TakeSnapshot();
        journal.Complete(Applied(snapshot.Length), generation);

        Assert.Equal(0, journal.Count);
        Assert.False(journal.Overflowed);
    }

    [Fact]
    public void AnEntryThatFailedTooOftenIsWidenedOrAbandonedAndItsCountStartsAgain()
    {
        var journal = new InvalidationJournal(10);
        journal.Add(Delete("t1", "a"));
        journal.Add(ClearNamespace("t2"));
        journal.Add(Delete("t3", "c"));
        Assert.Equal(1, journal.CountFailedReplay(Delete("t1", "a")));
        Assert.Equal(2, journal.CountFailedReplay(Delete("t1", "a")));
        var generation = journal.Generation;
        journal.TakeSnapshot();

        journal.Complete([ReplayOutcome.Widened, ReplayOutcome.Abandoned, ReplayOutcome.Failed], generation);

        Assert.Equal([ClearNamespace("t1"), Delete("t3", "c")], journal.TakeSnapshot());
        Assert.Equal(1, journal.CountFailedReplay(ClearNamespace("t1")));
        Assert.Equal(1, journal.CountFailedReplay(Delete("t3", "c")));
    }

    [Fact]
    public void WideningTheGlobalNamespaceKeepsAClearOfEverythingBeingReplayed()
    {
        var journal = new InvalidationJournal(10, namespaceBudget: 2);
        journal.Add(JournalEntry.ClearAll);
        var generation = journal.Generation;
        Assert.Equal([JournalEntry.ClearAll], journal.TakeSnapshot());

        // While the clear of everything is being replayed, the global namespace passes its budget.
        journal.Add(Delete(null, "a"));
        journal.Add(Delete(null, "b"));
        Assert.True(journal.Add(Delete(null, "c")));

        // That replay fails; it was of an older generation, so only the rewritten journal counts: the clear must be in it.
        journal.Complete([ReplayOutcome.Failed], generation);
        Assert.Contains(JournalEntry.ClearAll, journal.TakeSnapshot());
    }

    private static ReplayOutcome[] Applied(int count) => Enumerable.Repeat(ReplayOutcome.Applied, count).ToArray();
}
