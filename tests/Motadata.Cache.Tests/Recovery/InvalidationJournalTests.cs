using Motadata.Cache.Stores.Recovery;

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
    public void WhenItOverflowsEveryEntryBecomesAClearOfItsNamespace()
    {
        var journal = new InvalidationJournal(3);
        Assert.False(journal.Add(Delete("t1", "a")));
        Assert.False(journal.Add(Invalidate("t1", "user_*")));
        Assert.False(journal.Add(Delete(null, "g")));
        Assert.True(journal.Add(Delete("t1", "b")));

        Assert.True(journal.Overflowed);
        Assert.Equal(
            new HashSet<JournalEntry> { ClearNamespace("t1"), ClearNamespace(null) },
            journal.TakeSnapshot().ToHashSet());

        // Once overflowed, later removals widen too, and a second overflow is not reported again.
        Assert.False(journal.Add(Delete("t2", "c")));
        Assert.Equal(3, journal.Count);
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
        var journal = new InvalidationJournal(10);
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
        var journal = new InvalidationJournal(10);
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

    private static ReplayOutcome[] Applied(int count) => Enumerable.Repeat(ReplayOutcome.Applied, count).ToArray();
}
