using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Proxy.Tests.Hosting;

/// <summary>
/// ASP.NET Core starts an activity and a logging scope for every request while its request-log category is enabled at
/// any level: without a collector, the service defaults switch that category off unless it is configured.
/// </summary>
public sealed class RequestDiagnosticsTests
{
    private const string Category = "Microsoft.AspNetCore.Hosting.Diagnostics";

    [Fact]
    public void Without_a_collector_the_request_log_is_off_so_no_request_starts_an_activity()
    {
        Assert.False(RequestLogEnabled(new Dictionary<string, string?>()));
    }

    [Fact]
    public void A_configured_request_log_level_is_honoured()
    {
        Assert.True(RequestLogEnabled(new Dictionary<string, string?> { [$"Logging:LogLevel:{Category}"] = "Information" }));
    }

    [Fact]
    public void With_a_collector_the_request_log_follows_the_default_level()
    {
        Assert.True(RequestLogEnabled(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317" }));
    }

    private static bool RequestLogEnabled(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddProvider(new SilentProvider());
        builder.ConfigureOpenTelemetry();
        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<ILoggerFactory>().CreateLogger(Category).IsEnabled(LogLevel.Critical);
    }

    /// <summary>A logging provider that takes everything its filters let through, as a console would.</summary>
    private sealed class SilentProvider : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }

        public void Dispose()
        {
        }
    }
}
