using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.ServiceDefaults.Health;

public static class HealthEndpoints
{
    /// <summary>Tag of checks that only say the process is alive.</summary>
    public const string LiveTag = "live";

    public const string AlivePath = "/alive";
    public const string HealthPath = "/health";

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    public static WebApplication MapGatewayHealthEndpoints(this WebApplication app)
    {
        // Probes hit these every few seconds; keep them out of traces so they do not drown real calls.
        app.Use((context, next) =>
        {
            if (IsHealthRequest(context.Request.Path) && Activity.Current is { } activity)
            {
                activity.IsAllDataRequested = false;
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            }

            return next(context);
        });

        app.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = WriteJsonAsync,
        });
        app.MapHealthChecks(HealthPath, new HealthCheckOptions
        {
            ResponseWriter = WriteJsonAsync,
        });
        return app;
    }

    public static bool IsHealthRequest(PathString path) =>
        path.StartsWithSegments(AlivePath, StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(HealthPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Writes <c>{"status":"ok","health":"Healthy","checks":[{"name":..,"status":..,"description":..,"data":{..}}]}</c>.
    /// <c>status</c> is <c>ok</c> whenever the service can serve (Healthy or Degraded, e.g. a proxy running fail-static
    /// without Redis) and <c>unhealthy</c> otherwise; <c>health</c> carries the exact aggregate.
    /// </summary>
    public static async Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        // Over the body's PipeWriter: JsonSerializer flushes the writer after each value, and a flush to the body
        // Stream would be synchronous I/O, which Kestrel and TestServer refuse.
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        writer.WriteStartObject();
        writer.WriteString("status", report.Status == HealthStatus.Unhealthy ? "unhealthy" : "ok");
        writer.WriteString("health", report.Status.ToString());
        writer.WriteNumber("durationMs", report.TotalDuration.TotalMilliseconds);
        writer.WriteStartArray("checks");
        foreach (var (name, entry) in report.Entries)
        {
            writer.WriteStartObject();
            writer.WriteString("name", name);
            writer.WriteString("status", entry.Status.ToString());
            if (entry.Description is not null)
            {
                writer.WriteString("description", entry.Description);
            }

            if (entry.Data.Count > 0)
            {
                writer.WriteStartObject("data");
                foreach (var (key, value) in entry.Data)
                {
                    writer.WritePropertyName(key);
                    JsonSerializer.Serialize(writer, value, value?.GetType() ?? typeof(object));
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}
