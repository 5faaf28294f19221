using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Gateway.ServiceDefaults.Telemetry;

/// <summary>
/// Traces, metrics and logs over OTLP. OpenTelemetry.Extensions.Hosting and the instrumentation packages are not
/// in this registry, so the providers are built with the SDK directly and listen to the framework's own
/// <c>Microsoft.AspNetCore</c> and <c>System.Net.Http</c> sources and meters, plus every <c>Gateway.*</c> source and meter.
/// </summary>
public static class OpenTelemetryExtensions
{
    /// <summary>Prefix of every ActivitySource and Meter the gateway's services own.</summary>
    public const string GatewaySourcePrefix = "Gateway.";

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var configuration = builder.Configuration;
        var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return builder;
        }

        var resource = CreateResource(configuration, builder.Environment.ApplicationName);
        var exporter = new OtlpSettings(new Uri(endpoint), ParseProtocol(configuration["OTEL_EXPORTER_OTLP_PROTOCOL"]));

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.SetResourceBuilder(resource);
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            logging.AddOtlpExporter(options => exporter.Apply(options, "v1/logs"));
        });

        builder.Services.AddSingleton(_ => new TelemetryProviders(
            Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource("Microsoft.AspNetCore", "System.Net.Http", GatewaySourcePrefix + "*", "MassTransit")
                .AddOtlpExporter(options => exporter.Apply(options, "v1/traces"))
                .Build(),
            Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(
                    "Microsoft.AspNetCore.Hosting",
                    "Microsoft.AspNetCore.Server.Kestrel",
                    "Microsoft.AspNetCore.Http.Connections",
                    "System.Net.Http",
                    "System.Runtime",
                    GatewaySourcePrefix + "*")
                .AddOtlpExporter(options => exporter.Apply(options, "v1/metrics"))
                .Build()));
        builder.Services.AddHostedService<TelemetryStarter>();
        return builder;
    }

    /// <summary>
    /// <see cref="ResourceBuilder.CreateDefault"/> reads <c>OTEL_SERVICE_NAME</c> and <c>OTEL_RESOURCE_ATTRIBUTES</c>
    /// from the process environment; the same names are also honoured from configuration so tests can set them.
    /// </summary>
    internal static ResourceBuilder CreateResource(IConfiguration configuration, string applicationName)
    {
        var resource = ResourceBuilder.CreateDefault();
        var serviceName = configuration["OTEL_SERVICE_NAME"];
        resource.AddService(string.IsNullOrWhiteSpace(serviceName) ? applicationName : serviceName);

        var attributes = configuration["OTEL_RESOURCE_ATTRIBUTES"];
        if (!string.IsNullOrWhiteSpace(attributes))
        {
            var pairs = new List<KeyValuePair<string, object>>();
            foreach (var pair in attributes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    pairs.Add(new(pair[..equals].Trim(), Uri.UnescapeDataString(pair[(equals + 1)..].Trim())));
                }
            }

            resource.AddAttributes(pairs);
        }

        return resource;
    }

    private static OtlpExportProtocol ParseProtocol(string? value) =>
        string.Equals(value, "http/protobuf", StringComparison.OrdinalIgnoreCase)
            ? OtlpExportProtocol.HttpProtobuf
            : OtlpExportProtocol.Grpc;

    private sealed record OtlpSettings(Uri Endpoint, OtlpExportProtocol Protocol)
    {
        public void Apply(OtlpExporterOptions options, string signalPath)
        {
            options.Protocol = Protocol;
            // An endpoint set in code is used as-is: for http/protobuf the per-signal path must be appended here.
            options.Endpoint = Protocol == OtlpExportProtocol.HttpProtobuf
                ? new Uri(Endpoint, Endpoint.AbsolutePath.TrimEnd('/') + "/" + signalPath)
                : Endpoint;
        }
    }

    /// <summary>Owns the tracer and meter providers so the host disposes (and flushes) them on shutdown.</summary>
    internal sealed class TelemetryProviders(TracerProvider tracer, MeterProvider meter) : IDisposable
    {
        public void Dispose()
        {
            tracer.Dispose();
            meter.Dispose();
        }
    }

    /// <summary>Resolves the providers at start so listening begins before the first request.</summary>
    private sealed class TelemetryStarter(TelemetryProviders providers) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(providers);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
