using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.RateLimiting;
using Motadata.Cache.Server.Configuration;
using Motadata.Cache.Server.Dashboard;
using Motadata.Cache.Server.Endpoints;
using Motadata.Cache.Server.Endpoints.Contracts;
using Motadata.Cache.Server.Security;
using Motadata.Cache.Server.Telemetry;
using OpenTelemetry.Metrics;

namespace Motadata.Cache.Server.Hosting;

/// <summary>
/// Builds and starts the service. <see cref="Build"/> reads and checks every setting first and throws one
/// <see cref="ServiceConfigurationException"/> naming what is wrong, before anything listens; <c>Program</c> turns
/// that into a message and exit code <see cref="ConfigurationErrorExitCode"/>. Tests build the same application in
/// process on <c>http://127.0.0.1:0</c>.
/// </summary>
internal static class CacheServer
{
    /// <summary>The exit code for bad settings.</summary>
    public const int ConfigurationErrorExitCode = 2;

    /// <summary>The exit code when the service cannot listen where it was told to.</summary>
    public const int ListenErrorExitCode = 3;

    /// <summary>The rate limiting policy of tenant routes.</summary>
    public const string TenantRateLimitPolicy = "tenant";

    /// <summary>The meter the library publishes (hit/miss counters and operation latency), when it does.</summary>
    public const string LibraryMeterName = "Motadata.Cache";

    /// <summary>Builds the application from <paramref name="args"/>, <c>appsettings.json</c> and the environment.</summary>
    /// <param name="args">Command-line settings, such as <c>--urls=http://127.0.0.1:0</c> or <c>--Cache:Backend=Dragonfly</c>.</param>
    /// <param name="configureCache">Changes the cache settings after they are read (tests set a fake clock here).</param>
    /// <returns>The application, not yet started.</returns>
    /// <exception cref="ServiceConfigurationException">A setting is bad; the message lists every one.</exception>
    public static WebApplication Build(string[] args, Action<CacheConfig>? configureCache = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,

            // appsettings.json sits next to the binary, wherever `dotnet run` or `dotnet Motadata.Cache.Server.dll` is started from.
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Both sections are read and checked before anything fails, so one message names every bad setting.
        var service = ReadService(builder.Configuration);
        var cacheConfig = ReadCache(builder.Configuration);
        configureCache?.Invoke(cacheConfig);
        ApplyServiceDefaults(cacheConfig);
        var problems = new List<string>();
        try
        {
            cacheConfig.Validate();
        }
        catch (ArgumentException exception)
        {
            problems.Add(WithoutParameterName(exception));
        }

        var serviceErrors = service.Validate();
        if (serviceErrors.Count > 0)
        {
            problems.Add("The Service configuration is not valid:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", serviceErrors));
        }

        if (problems.Count > 0)
        {
            throw new ServiceConfigurationException(string.Join(Environment.NewLine, problems));
        }

        var keys = new ApiKeyRing(service.ApiKeys);
        CheckListenAddresses(builder, keys.Enabled);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // The handlers enforce the exact limits (413 with a message); this is Kestrel's backstop above both.
            kestrel.Limits.MaxRequestBodySize = (long)Math.Max(cacheConfig.MaxValueBytes, service.MaxRequestBytes) + StoredValue.MaxOverheadBytes;

            // Backstops above the limits RequestTargetMiddleware answers with a problem body; Kestrel's own answers have none.
            kestrel.Limits.MaxRequestLineSize = RequestTargetMiddleware.MaxTargetLength * RequestTargetMiddleware.KestrelBackstopFactor;
            kestrel.Limits.MaxRequestHeadersTotalSize = RequestTargetMiddleware.MaxHeaderBytes * RequestTargetMiddleware.KestrelBackstopFactor;
        });

        var services = builder.Services;
        services.AddSingleton(service);
        services.AddSingleton(keys);
        // The cache comes from the library's own composition root, as in any app: the Cache section bound to
        // CacheConfig, validated at start, with the host's logger, meter factory and clock.
        services.AddMotadataCache(builder.Configuration.GetSection("Cache"));
        if (configureCache is not null)
        {
            services.Configure(Microsoft.Extensions.Options.Options.DefaultName, configureCache);
        }

        // Cache:MaxValueBytes bounds the body; the stored value adds a small header (content type), given room here.
        services.PostConfigure<CacheConfig>(Microsoft.Extensions.Options.Options.DefaultName, config =>
        {
            ApplyServiceDefaults(config);
            config.MaxValueBytes = (int)Math.Min(int.MaxValue, (long)config.MaxValueBytes + StoredValue.MaxOverheadBytes);
        });
        services.AddSingleton(provider => new ServiceMetrics(
            provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            provider.GetRequiredService<CacheMechanism>(),
            service.MaxMetricTenants,
            service.Metrics.TenantLabels,
            provider.GetRequiredService<ILogger<ServiceMetrics>>(),
            service.Metrics.StatsRefreshInterval));
        services.AddProblemDetails();

        // Backend failures and aborted uploads are answered (and logged) here; the backend's own text never reaches a caller.
        services.AddExceptionHandler<ServiceExceptionHandler>();

        // After the default writer: the fallback for requests whose Accept has no JSON type (never an empty 500).
        services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServiceJsonContext.Default);
        });
        services.AddOpenApi(openApi => openApi
            .AddDocumentTransformer<InfrastructureRoutesTransformer>()
            .AddDocumentTransformer<ApiKeySecurityTransformer>()
            .AddOperationTransformer<ApiKeySecurityTransformer>()

            // Last: corrects what generated clients need over everything above (issue 25).
            .AddDocumentTransformer<ClientContractTransformer>());
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.RateLimiting", "Microsoft.AspNetCore.Diagnostics")

            // The runtime's own meter (GC, thread pool, exceptions) since .NET 9: what OpenTelemetry.Instrumentation.Runtime turns on there.
            .AddMeter("System.Runtime")
            .AddMeter(LibraryMeterName, ServiceMetrics.MeterName)
            .AddView(instrument => service.Metrics.TenantLabels || instrument.Meter.Name != CacheDiagnostics.MeterName
                ? null

                // The library's series without their tenant tag (a view keeps only the tags it lists).
                : new MetricStreamConfiguration { TagKeys = [CacheDiagnostics.BackendTag, CacheDiagnostics.OperationTag, CacheDiagnostics.ErrorTypeTag, CacheDiagnostics.NameTag] })
            .AddPrometheusExporter());
        if (service.RateLimit.Enabled)
        {
            AddRateLimiting(services, service.RateLimit);
        }

        var app = builder.Build();
        try
        {
            // Build the cache now, so a backend that cannot be set up stops the service before it listens.
            app.Services.GetRequiredService<CacheMechanism>();
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException or CacheBackendException)
        {
            throw new ServiceConfigurationException($"The {cacheConfig.Backend} backend could not be set up: {WithoutParameterName(exception)}", exception);
        }

        ConfigurePipeline(app, service, cacheConfig.MaxValueBytes);
        return app;
    }

    /// <summary>
    /// Starts listening, checks that an unprotected service listens on loopback only, and logs where it listens.
    /// </summary>
    /// <param name="app">An application from <see cref="Build"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The addresses the service listens on.</returns>
    /// <exception cref="ServiceConfigurationException">The service, without API keys, was bound beyond loopback.</exception>
    public static async Task<IReadOnlyList<string>> StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        await app.StartAsync(cancellationToken);
        var addresses = app.Urls.ToList();
        var keys = app.Services.GetRequiredService<ApiKeyRing>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Motadata.Cache.Server");
        if (!keys.Enabled)
        {
            // Configuration is checked before binding; this catches addresses bound by other means.
            var exposed = addresses.Find(static address => !ListenAddresses.IsLocalOnly(address));
            if (exposed is not null)
            {
                await app.StopAsync(cancellationToken);
                throw new ServiceConfigurationException(ExposedWithoutKeys(exposed));
            }

            logger.LogWarning(
                "No API keys are configured (Service:ApiKeys), so authentication is off and the service listens on loopback only. " +
                "Configure API keys before listening on other addresses.");
        }

        var cache = app.Services.GetRequiredService<CacheMechanism>();
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation(
                "Motadata.Cache service listening on {Addresses} ({Backend} backend, {Authentication}).",
                string.Join(", ", addresses),
                cache.Backend,
                keys.Enabled ? "API keys required" : "no API keys, loopback only");
        }
        return addresses;
    }

    private static void ConfigurePipeline(WebApplication app, ServiceOptions service, int maxValueBytes)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = static exception => exception switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                CacheBackendException => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            },
        });

        // Routing's own 404s and 405s get a problem+json body too.
        app.UseStatusCodePages();

        // Before routing: a path the router would read after removing dot segments never reaches it (issue 10, F1).
        app.UseMiddleware<RequestTargetMiddleware>();
        app.UseRouting();
        app.UseMiddleware<TenantAccessMiddleware>();
        if (service.RateLimit.Enabled)
        {
            app.UseRateLimiter();
        }

        var cache = app.Services.GetRequiredService<CacheMechanism>();
        new CacheEndpoints(cache, maxValueBytes, service).Map(app, service.RateLimit.Enabled ? TenantRateLimitPolicy : null);
        new HealthEndpoints(cache, service.ReadinessTimeout, app.Services.GetRequiredService<ILogger<HealthEndpoints>>()).Map(app);
        new DashboardEndpoints(cache, app.Services.GetRequiredService<ServiceMetrics>(), service, app.Services.GetRequiredService<ApiKeyRing>().Enabled).Map(app);
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
        if (service.Metrics.RequireApiKey)
        {
            metrics.WithMetadata(RouteAccess.MetricsOnly);
        }

        app.MapOpenApi("/openapi/{documentName}.json");
        if (service.EnableBenchEndpoints)
        {
            // The load test's yardstick: the cheapest endpoint this pipeline can serve.
            app.MapGet("/bench/hello", static () => "hello").ExcludeFromDescription();
        }
    }

    /// <summary>
    /// What the service sets that the library leaves to the application, on the memory backend only, so a service
    /// exposed to many tenants is not one noisy tenant away from flushing everyone or exhausting the machine:
    /// <list type="bullet">
    /// <item>with no <c>Cache:Memory:MaxSizePerTenant</c>, each tenant may hold at most a quarter of <c>Cache:MaxSize</c>;</item>
    /// <item>with no <c>Cache:Memory:MaxMemoryBytes</c>, the cache holds at most <see cref="DefaultMaxMemoryBytes"/> (a quarter
    /// of the memory the runtime may use: the machine's, or the container's limit), raised to any larger per-tenant byte
    /// quota configured, since a quota may not exceed it;</item>
    /// <item>with no <c>Cache:Memory:MaxMemoryBytesPerTenant</c>, each tenant may hold at most a quarter of
    /// <c>Cache:Memory:MaxMemoryBytes</c> (issue 21, N4: an entry quota alone let one tenant hold 2 GB of large values).</item>
    /// </list>
    /// Set a quota to the cache's own bound to lift it. The v1 flat keys (<c>Cache:MaxSizePerTenant</c>...) bind to the
    /// same settings.
    /// </summary>
    private static void ApplyServiceDefaults(CacheConfig config)
    {
        if (config.Backend != CacheBackend.Memory)
        {
            return;
        }

        var memory = config.Memory ??= new MemoryOptions();
        if (memory.MaxSizePerTenant is null && config.MaxSize > 0)
        {
            memory.MaxSizePerTenant = Math.Max(1, config.MaxSize / 4);
        }

        if (memory.MaxMemoryBytes is null)
        {
            var largestQuota = memory.MaxMemoryBytesPerTenant ?? 0;
            foreach (var quota in memory.TenantQuotas.Values)
            {
                largestQuota = Math.Max(largestQuota, quota?.MaxMemoryBytes ?? 0);
            }

            memory.MaxMemoryBytes = Math.Max(DefaultMaxMemoryBytes(), largestQuota);
        }

        if (memory.MaxMemoryBytesPerTenant is null && memory.MaxMemoryBytes is > 0 and { } maxBytes)
        {
            memory.MaxMemoryBytesPerTenant = Math.Max(1, maxBytes / 4);
        }
    }

    /// <summary>
    /// The service's default <c>Cache:MaxMemoryBytes</c>: a quarter of the memory the GC may use (the machine's, or a
    /// container's limit), leaving room for the estimate's slack, the runtime and the request buffers; 1 GiB when the
    /// runtime does not say.
    /// </summary>
    /// <returns>The default byte bound.</returns>
    internal static long DefaultMaxMemoryBytes()
    {
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return available > 0 ? available / 4 : 1L << 30;
    }

    private static ServiceOptions ReadService(ConfigurationManager configuration)
    {
        ServiceOptions service;
        try
        {
            service = configuration.GetSection(ServiceOptions.SectionName).Get<ServiceOptions>(static binder => binder.ErrorOnUnknownConfiguration = true) ?? new ServiceOptions();
        }
        catch (InvalidOperationException exception)
        {
            throw new ServiceConfigurationException($"The Service settings could not be read: {exception.Message}", exception);
        }

        return service;
    }

    private static CacheConfig ReadCache(ConfigurationManager configuration)
    {
        var config = new CacheConfig();
        try
        {
            configuration.GetSection("Cache").Bind(config, static binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException exception)
        {
            throw new ServiceConfigurationException(
                $"The Cache settings could not be read: {exception.Message} " +
                "Backend is Memory or Dragonfly; TimeSpan settings are written \"hh:mm:ss\" (\"01:00:00\" is one hour); Integrity:SigningKey (or the v1 SigningKey) is base64.",
                exception);
        }

        return config;
    }

    private static void CheckListenAddresses(WebApplicationBuilder builder, bool keysConfigured)
    {
        var configured = ListenAddresses.Configured(builder.Configuration);
        if (configured.Count == 0)
        {
            builder.WebHost.UseUrls(ListenAddresses.DefaultUrl);
            return;
        }

        foreach (var address in configured)
        {
            if (ListenAddresses.Ipv4Instead(address) is { } ipv4)
            {
                throw new ServiceConfigurationException(
                    $"The service is asked to listen on {address}, an IPv4-mapped IPv6 address, which cannot be listened on. Use the IPv4 address itself: --urls {ipv4}.");
            }
        }

        if (keysConfigured)
        {
            return;
        }

        foreach (var address in configured)
        {
            if (!ListenAddresses.IsLocalOnly(address))
            {
                throw new ServiceConfigurationException(ExposedWithoutKeys(address));
            }
        }
    }

    private static string ExposedWithoutKeys(string address) =>
        $"The service is asked to listen on {address}, which other machines can reach, but no API keys are configured (Service:ApiKeys). " +
        $"Either configure API keys, or listen on loopback only (such as --urls {ListenAddresses.DefaultUrl}).";

    private static void AddRateLimiting(IServiceCollection services, RateLimitOptions options)
    {
        var noKey = new object();
        services.AddRateLimiter(static _ => { });

        // The buckets run on the cache's clock (CacheConfig.TimeProvider, else the host's TimeProvider), so a test
        // moves a fake clock to refill them instead of waiting a second.
        services.AddOptions<RateLimiterOptions>().Configure<CacheMechanism>((limiter, cache) =>
        {
            var time = cache.TimeProvider;
            Func<string, RateLimiter> tenantBucket = _ => new ClockedTokenBucket(options.EffectiveBurst, options.PermitsPerSecond, time);
            Func<object, RateLimiter> keyBucket = _ => new ClockedTokenBucket(options.EffectiveKeyBurst, options.EffectiveKeyPermitsPerSecond, time);
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;

            // Every request made with an API key, admin and /metrics included, spends from its key's bucket first, so
            // a key allowed every tenant cannot rotate tenants to go unlimited. Requests without a key (probes, or a
            // service without keys) are not limited per key. A bucket full for a while is removed by the partitioned
            // limiter (its IdleDuration), so buckets of tenants and keys no longer used do not pile up.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, object>(context =>
                context.Features.Get<ApiKeyGrant>() is { } grant
                    ? RateLimitPartition.Get<object>(grant, keyBucket)
                    : RateLimitPartition.GetNoLimiter(noKey));
            limiter.OnRejected = (rejected, _) => WriteRateLimitedAsync(
                rejected,
                $"This API key ({rejected.HttpContext.Features.Get<ApiKeyGrant>()?.Name}) is over its rate limit of {options.EffectiveKeyPermitsPerSecond} requests per second " +
                $"(bursts of {options.EffectiveKeyBurst}) across every tenant and route it uses (Service:RateLimit:KeyPermitsPerSecond)");
            limiter.AddPolicy(TenantRateLimitPolicy, new TenantRateLimiterPolicy(tenantBucket, options));
        });
    }

    /// <summary>Writes a 429 problem with <c>Retry-After</c>, for either limit.</summary>
    internal static async ValueTask WriteRateLimitedAsync(OnRejectedContext rejected, string what)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, $"{what}; retry after {seconds} s.");
    }

    /// <summary>A token bucket per tenant, with its own rejection message (the per-key limit has another).</summary>
    private sealed class TenantRateLimiterPolicy(Func<string, RateLimiter> bucketFor, RateLimitOptions options) : IRateLimiterPolicy<string>
    {
        public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = (rejected, _) => WriteRateLimitedAsync(
            rejected,
            $"Tenant '{rejected.HttpContext.Features.Get<CacheRequestFeature>()?.Tenant}' is over its rate limit of {options.PermitsPerSecond} requests per second (bursts of {options.EffectiveBurst})");

        public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
            RateLimitPartition.Get(httpContext.Features.Get<CacheRequestFeature>()?.Tenant ?? string.Empty, bucketFor);
    }

    private static string WithoutParameterName(Exception exception) =>
        exception is ArgumentException { ParamName: { } name } argument
            ? argument.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)
            : exception.Message;
}
