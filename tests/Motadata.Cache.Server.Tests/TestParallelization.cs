// Every test class starts service hosts, and an OpenTelemetry meter provider collects every meter of a given name in
// the process, not only its own host's: a host scraping /metrics while another host's test runs reads (and so
// caches, on Dragonfly) the other host's figures before that test's requests, and the test then scrapes old ones.
// One host at a time; the suite stays well within its time budget.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
