using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Motadata.Cache.AI;
using Xunit.Abstractions;

namespace Motadata.Cache.AI.Tests.Semantic;

/// <summary>
/// The default threshold and prompt guard on the labelled set <c>semantic-pairs.tsv</c>, with real all-MiniLM-L6-v2
/// embeddings: paraphrases that must share an answer (plain, reordered, synonyms, politeness, punctuation) and
/// near-misses that must not (another product, a negation, another number or date, another language task, an added
/// detail, and the same words in another order or direction: conversions, transfers, comparisons, arithmetic, subject
/// and object, before and after). No wrong answer may be served in any category (precision 1.0).
/// </summary>
public sealed class SemanticQualityTests(MiniLmFixture model, ITestOutputHelper output) : IClassFixture<MiniLmFixture>
{
    private static readonly string[] s_paraphraseCategories = ["paraphrase", "reorder", "synonym", "politeness", "punctuation"];

    private static readonly string[] s_directionCategories = ["conversion", "transfer", "comparison", "arithmetic", "subject-object", "before-after"];

    private sealed record Pair(bool Same, string Category, string A, string B);

    private static List<Pair> LoadPairs() =>
        [.. File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Semantic", "semantic-pairs.tsv"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t'))
            .Select(f => new Pair(f[0] == "same", f[1], f[2], f[3]))];

    [Fact]
    public void TheLabelledSetCoversEveryNearMissAndParaphraseCategory()
    {
        var pairs = LoadPairs();

        Assert.True(pairs.Count >= 250, $"{pairs.Count} pairs");
        Assert.All(pairs, p => Assert.Contains(p.Category, p.Same ? s_paraphraseCategories : [.. s_directionCategories, "product", "negation", "number", "date", "language-task", "added-detail"]));
        foreach (var category in new[] { "product", "negation", "number", "date", "language-task" })
        {
            Assert.True(pairs.Count(p => !p.Same && p.Category == category) >= 8, category);
        }

        foreach (var category in s_directionCategories)
        {
            Assert.True(pairs.Count(p => !p.Same && p.Category == category) >= 12, category);
        }

        foreach (var category in s_paraphraseCategories)
        {
            Assert.True(pairs.Count(p => p.Same && p.Category == category) >= 10, category);
        }
    }

    [Fact]
    public void AtTheDefaultThresholdNoNearMissIsServedInAnyCategoryAndMostParaphrasesAre()
    {
        var pairs = LoadPairs();
        var a = model.Generator.Encode([.. pairs.Select(p => p.A)]);
        var b = model.Generator.Encode([.. pairs.Select(p => p.B)]);
        var threshold = SemanticCacheOptions.DefaultThreshold;
        var wrong = new List<string>();
        var missed = new List<string>();
        var table = new StringBuilder();
        table.AppendLine("| category | kind | pairs | over the threshold | served | wrong answers served | precision | recall |");
        table.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        int truePositives = 0, falsePositives = 0, paraphrases = 0;
        foreach (var group in pairs.Select((pair, i) => (pair, i)).GroupBy(x => (x.pair.Same, x.pair.Category)).OrderBy(g => g.Key.Same).ThenBy(g => g.Key.Category, StringComparer.Ordinal))
        {
            int over = 0, served = 0;
            foreach (var (pair, i) in group)
            {
                var cosine = TensorPrimitives.CosineSimilarity(a[i], b[i]);
                var isOver = cosine >= threshold;
                var isServed = isOver && SemanticPromptGuard.KeyTermsMatch(pair.A, pair.B);
                over += isOver ? 1 : 0;
                served += isServed ? 1 : 0;
                if (!pair.Same && isServed)
                {
                    wrong.Add($"{cosine:F3} {pair.Category}: {pair.A} | {pair.B}");
                }
                else if (pair.Same && !isServed)
                {
                    missed.Add($"{cosine:F3} {pair.Category}{(isOver ? " (guard)" : string.Empty)}: {pair.A} | {pair.B}");
                }
            }

            var count = group.Count();
            if (group.Key.Same)
            {
                paraphrases += count;
                truePositives += served;
            }
            else
            {
                falsePositives += served;
            }

            // A near-miss category has no right answer to serve: its precision is 1.0 when nothing was served.
            var precision = group.Key.Same ? (served == 0 ? "-" : "1.00") : (served == 0 ? "1.00" : "0.00");
            var recall = group.Key.Same ? ((double)served / count).ToString("F2", CultureInfo.InvariantCulture) : "-";
            table.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key.Category} | {(group.Key.Same ? "paraphrase" : "near-miss")} | {count} | {over} | {served} | {(group.Key.Same ? 0 : served)} | {precision} | {recall} |");
        }

        var overallPrecision = truePositives + falsePositives == 0 ? 1d : (double)truePositives / (truePositives + falsePositives);
        var overallRecall = (double)truePositives / paraphrases;
        output.WriteLine(table.ToString());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pairs {pairs.Count} ({paraphrases} paraphrases, {pairs.Count - paraphrases} near-misses); threshold {threshold}: precision {overallPrecision:F3}, recall {overallRecall:F3} ({truePositives}/{paraphrases})"));
        output.WriteLine("Paraphrases not served:" + Environment.NewLine + string.Join(Environment.NewLine, missed));
        foreach (var other in new[] { 0.80f, 0.85f, 0.88f, 0.90f, 0.92f, 0.94f })
        {
            int tp = 0, fp = 0, fpAlone = 0;
            for (var i = 0; i < pairs.Count; i++)
            {
                var isOver = TensorPrimitives.CosineSimilarity(a[i], b[i]) >= other;
                var guarded = isOver && SemanticPromptGuard.KeyTermsMatch(pairs[i].A, pairs[i].B);
                tp += pairs[i].Same && guarded ? 1 : 0;
                fp += !pairs[i].Same && guarded ? 1 : 0;
                fpAlone += !pairs[i].Same && isOver ? 1 : 0;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"threshold {other:F2}: wrong answers served {fp} (without the guard {fpAlone}), recall {tp}/{paraphrases}"));
        }

        Assert.True(wrong.Count == 0, "Served a wrong answer: " + string.Join("; ", wrong));
        Assert.Equal(1d, overallPrecision);
        Assert.True(overallRecall >= 0.70, $"paraphrase recall {overallRecall:F3} is below 0.70");
    }

    [Fact]
    public void TheGuardAloneRefusesEveryPairThatSwapsRolesWhateverTheThreshold()
    {
        // Precision by design: these near-misses use the same words, so no embedding threshold can be relied on.
        var served = LoadPairs()
            .Where(p => !p.Same && s_directionCategories.Contains(p.Category))
            .Where(p => SemanticPromptGuard.KeyTermsMatch(p.A, p.B) || SemanticPromptGuard.KeyTermsMatch(p.B, p.A))
            .Select(p => $"{p.Category}: {p.A} | {p.B}")
            .ToList();

        Assert.True(served.Count == 0, "The guard let through: " + string.Join("; ", served));
    }

    [Theory]
    [InlineData("What were the sales figures for Q1 2024?", "What were the sales figures for Q2 2024?")]
    [InlineData("Is this product waterproof?", "Is this product not waterproof?")]
    [InlineData("What is the weather forecast for Monday?", "What is the weather forecast for Friday?")]
    [InlineData("Translate \"good morning\" into French.", "Translate \"good morning\" into German.")]
    [InlineData("Can I return an opened item?", "Can't I return an opened item?")]
    [InlineData("convert 10 miles to km", "convert 10 km to miles")]
    [InlineData("100 USD to EUR", "100 EUR to USD")]
    [InlineData("100 °F in °C", "100 °C in °F")]
    [InlineData("Is Python faster than Java?", "Is Java faster than Python?")]
    [InlineData("10 minus 3", "3 minus 10")]
    [InlineData("How do I convert a string to an int in C#?", "How do I convert an int to a string in C#?")]
    [InlineData("Who did Brutus betray?", "Who betrayed Brutus?")]
    [InlineData("Alice owes Bob", "Bob owes Alice")]
    [InlineData("Which team beat Brazil?", "Which team did Brazil beat?")]
    [InlineData("Can I cancel my order after it ships?", "Can my order ship after I cancel it?")]
    [InlineData("How do I install C#?", "How do I install C++?")]
    [InlineData("Where is my order?", "When is my order?")]
    [InlineData("Should I restart the server?", "Can I restart the server?")]
    [InlineData("Is my data encrypted?", "Is my data encrypted at rest?")]
    [InlineData("If Alice pays, does Bob pay?", "If Bob pays, does Alice pay?")]
    [InlineData("When the build fails, does the deploy stop?", "When the deploy stops, does the build fail?")]
    [InlineData("Do I owe you money?", "Do you owe me money?")]
    [InlineData("Did you call her?", "Did she call you?")]
    [InlineData("What meetings do I have today?", "What meetings do I have tomorrow?")]
    [InlineData("Where is the library?", "What is the library?")]
    [InlineData("Does she trust him?", "Does he trust her?")]
    public void ThePromptGuardRejectsANearMissTheEmbeddingPutsCloseTogether(string cached, string asked)
    {
        Assert.False(SemanticPromptGuard.KeyTermsMatch(cached, asked));
        Assert.False(SemanticPromptGuard.KeyTermsMatch(asked, cached));
    }

    [Theory]
    [InlineData("How do I reset my password?", "how can I reset my password")]
    [InlineData("Summarize the refund policy.", "Summarise the refund policy.")]
    [InlineData("Who is the CEO of the company?", "Who is the company's CEO?")]
    [InlineData("How long does shipping take?", "How long does shipping usually take?")]
    [InlineData("In Python, how do I reverse a list?", "How do I reverse a list in Python?")]
    [InlineData("Flights from Boston to Denver", "Flights to Denver from Boston")]
    [InlineData("Could you please tell me how to reset my router?", "How do I reset my router?")]
    [InlineData("What's the difference between RAM and storage?", "What is the difference between storage and RAM?")]
    [InlineData("Why was my payment declined?", "Why is my payment declined?")]
    [InlineData("Can you tell me how I reset my router?", "How do I reset my router?")]
    [InlineData("What time is sunset in Paris today?", "What time is sunset today in Paris?")]
    [InlineData("Could you tell me the opening hours of the library?", "What are the opening hours of the library?")]
    public void ThePromptGuardAcceptsAParaphrase(string cached, string asked)
    {
        Assert.True(SemanticPromptGuard.KeyTermsMatch(cached, asked));
        Assert.True(SemanticPromptGuard.KeyTermsMatch(asked, cached));
    }
}
