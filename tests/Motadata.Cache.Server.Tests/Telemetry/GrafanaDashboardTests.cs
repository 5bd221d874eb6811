using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Motadata.Cache.Server.Tests.Infrastructure;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Server.Tests.Telemetry;

/// <summary>
/// deploy/grafana/motadata-cache.json queries only what the service exports: every metric its PromQL names, every
/// label it groups by or matches on, and every label value it matches, are found in real <c>/metrics</c> scrapes of
/// the service on the memory backend and on Dragonfly (a real redis-server) with the local level and backplane on.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    // Labels Prometheus adds when it scrapes, not the service.
    private static readonly HashSet<string> ScrapeLabels = ["job", "instance"];

    private static readonly HashSet<string> PromQlKeywords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"];

    [Fact]
    public async Task EveryMetricLabelAndValueTheBoardQueriesIsExported()
    {
        var scrape = new Scrape();
        await using (var memory = await ServiceHost.StartAsync([]))
        {
            await TrafficAsync(memory.CreateClient());
            scrape.Add(await memory.CreateClient().GetStringAsync("metrics"));
        }

        await using (var redis = await RedisServer.StartAsync())
        await using (var dragonfly = await ServiceHost.StartAsync(
        [
            new("Cache:Backend", "Dragonfly"),
            new("Cache:DragonflyUrl", redis.Url),
            new("Cache:OperationTimeout", "00:00:05"),
            new("Cache:EnableLocalLevel", "true"),
        ]))
        {
            await TrafficAsync(dragonfly.CreateClient());
            scrape.Add(await dragonfly.CreateClient().GetStringAsync("metrics"));
        }

        var queries = BoardQueries();
        Assert.True(queries.Count >= 25, $"The board has only {queries.Count} queries.");
        var problems = new List<string>();
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            var metrics = MetricNames(query);
            if (metrics.Count == 0)
            {
                problems.Add($"no metric found in: {query}");
            }

            foreach (var metric in metrics)
            {
                referenced.Add(metric);
                if (!scrape.Labels.ContainsKey(metric))
                {
                    problems.Add($"{metric} is not exported (query: {query})");
                }
            }

            var labels = new HashSet<string>(metrics.Where(scrape.Labels.ContainsKey).SelectMany(metric => scrape.Labels[metric]), StringComparer.Ordinal);
            foreach (Match grouping in GroupingPattern().Matches(query))
            {
                foreach (var label in grouping.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!labels.Contains(label) && !ScrapeLabels.Contains(label))
                    {
                        problems.Add($"the label {label} it groups by is on none of {string.Join(", ", metrics)} (query: {query})");
                    }
                }
            }

            foreach (Match selector in SelectorPattern().Matches(query))
            {
                var metric = selector.Groups[1].Value;
                foreach (Match matcher in MatcherPattern().Matches(selector.Groups[2].Value))
                {
                    var (label, values) = (matcher.Groups[1].Value, matcher.Groups[3].Value);
                    if (ScrapeLabels.Contains(label))
                    {
                        continue;
                    }

                    if (!scrape.Labels.TryGetValue(metric, out var metricLabels) || !metricLabels.Contains(label))
                    {
                        problems.Add($"{metric} has no label {label} (query: {query})");
                        continue;
                    }

                    // Plain values and alternatives (a|b) must each be exported; patterns such as 5.. are left alone.
                    foreach (var value in values.Split('|').Where(static value => PlainValuePattern().IsMatch(value)))
                    {
                        if (!scrape.Text.Contains($"{label}=\"{value}\"", StringComparison.Ordinal))
                        {
                            problems.Add($"no series of {metric} has {label}=\"{value}\" (query: {query})");
                        }
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));

        // The families the issue asks for are all on the board.
        foreach (var metric in new[]
        {
            "motadata_cache_hits_total", "motadata_cache_misses_total", "http_server_request_duration_seconds_count", "motadata_cache_evictions_total",
            "motadata_cache_memory_usage_bytes", "motadata_cache_server_memory_bytes", "motadata_cache_server_hits_total", "motadata_cache_errors_total",
            "motadata_cache_backplane_messages_total", "motadata_cache_local_hits_total",
        })
        {
            Assert.Contains(metric, referenced);
        }
    }

    [Fact]
    public void MetricNamesAreFoundInPromQl()
    {
        Assert.Equal(
            ["a_total", "b_bucket", "c"],
            MetricNames("histogram_quantile(0.99, sum by (le, x) (rate(b_bucket{job=~\"$job\"}[$__rate_interval]))) / sum(rate(a_total[5m])) + on(x) c offset 5m").Order(StringComparer.Ordinal));
        Assert.Equal(["motadata_cache_hits_total"], MetricNames("label_values(motadata_cache_hits_total, job)"));
    }

    private static async Task TrafficAsync(HttpClient client)
    {
        await Http.AssertStatusAsync(await client.PutAsync("v1/tenants/acme/keys/k", Http.Bytes("1"u8.ToArray(), "application/json")), HttpStatusCode.NoContent);
        await Http.AssertStatusAsync(await client.GetAsync("v1/tenants/acme/keys/k"), HttpStatusCode.OK);
        await Http.AssertStatusAsync(await client.GetAsync("v1/tenants/acme/keys/k"), HttpStatusCode.OK);
        await Http.AssertStatusAsync(await client.GetAsync("v1/tenants/acme/keys/absent"), HttpStatusCode.NotFound);
    }

    private static List<string> BoardQueries()
    {
        using var board = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "deploy", "grafana", "motadata-cache.json")));
        var queries = new List<string>();
        Collect(board.RootElement, queries);
        return queries;

        static void Collect(JsonElement element, List<string> queries)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        if (property.Name is "expr" or "definition" && property.Value.ValueKind == JsonValueKind.String)
                        {
                            queries.Add(property.Value.GetString()!);
                        }
                        else
                        {
                            Collect(property.Value, queries);
                        }
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Collect(item, queries);
                    }

                    break;
            }
        }
    }

    /// <summary>The metric names a PromQL expression (or a Grafana <c>label_values(metric, label)</c>) reads.</summary>
    private static List<string> MetricNames(string query)
    {
        if (LabelValuesPattern().Match(query) is { Success: true } labelValues)
        {
            return [labelValues.Groups[1].Value];
        }

        var text = StringPattern().Replace(query, " ");
        text = BracePattern().Replace(text, " ");
        text = RangePattern().Replace(text, " ");
        text = GroupingPattern().Replace(text, " ");
        text = ModifierPattern().Replace(text, " ");
        var names = new List<string>();
        foreach (Match token in IdentifierPattern().Matches(text))
        {
            var name = token.Value;
            if (!PromQlKeywords.Contains(name) && !names.Contains(name))
            {
                names.Add(name);
            }
        }

        return names;
    }

    private sealed class Scrape
    {
        public Dictionary<string, HashSet<string>> Labels { get; } = new(StringComparer.Ordinal);

        public string Text { get; private set; } = string.Empty;

        public void Add(string exposition)
        {
            Text += exposition;
            foreach (var line in exposition.Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                var series = SeriesPattern().Match(line);
                Assert.True(series.Success, $"Unreadable /metrics line: {line}");
                if (!Labels.TryGetValue(series.Groups[1].Value, out var labels))
                {
                    Labels[series.Groups[1].Value] = labels = new HashSet<string>(StringComparer.Ordinal);
                }

                foreach (Match label in ExpositionLabelPattern().Matches(series.Groups[2].Value))
                {
                    labels.Add(label.Groups[1].Value);
                }
            }
        }
    }

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s")]
    private static partial Regex SeriesPattern();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""")]
    private static partial Regex ExpositionLabelPattern();

    [GeneratedRegex(@"^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*[a-zA-Z_]+\s*\)$")]
    private static partial Regex LabelValuesPattern();

    [GeneratedRegex(@"""[^""]*""")]
    private static partial Regex StringPattern();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex BracePattern();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangePattern();

    [GeneratedRegex(@"\b(?:by|without)\s*\(([^)]*)\)")]
    private static partial Regex GroupingPattern();

    [GeneratedRegex(@"\b(?:on|ignoring|group_left|group_right)\s*\([^)]*\)|\boffset\s+\S+")]
    private static partial Regex ModifierPattern();

    // An identifier that is not a function call (followed by '(') and not part of a number.
    [GeneratedRegex(@"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\()(?![\w])")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex(@"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}")]
    private static partial Regex SelectorPattern();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|=|!=|!~)\s*""([^""]*)""")]
    private static partial Regex MatcherPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9_]+$")]
    private static partial Regex PlainValuePattern();
}
