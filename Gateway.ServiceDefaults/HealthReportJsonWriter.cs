using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>The body of <c>/health</c> and <c>/alive</c>: the AppHost, the tests and operators read each check from it.</summary>
internal static class HealthReportJsonWriter
{
    /// <summary>Claim the gateway's authentication puts on the anonymous client, which gets no details either.</summary>
    private const string AnonymousClaim = "gateway:anonymous";

    /// <summary>
    /// Writes <c>{"status":"ok","health":"Healthy","checks":[{"name":..,"status":..,"description":..,"data":{..}}]}</c>.
    /// The checks name the infrastructure (Redis, the broker, the database, backends), so only an authenticated caller
    /// (API key or token, not the anonymous client) gets them; anyone else gets <c>status</c> and <c>health</c>, which
    /// is what orchestrators' probes read.
    /// <c>status</c> is <c>ok</c> whenever the service can serve (Healthy or Degraded, e.g. a proxy running fail-static
    /// without Redis) and <c>unhealthy</c> otherwise; <c>health</c> carries the exact aggregate.
    /// </summary>
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        // Over the body's PipeWriter: JsonSerializer flushes the writer after each value, and a flush to the body
        // Stream would be synchronous I/O, which Kestrel and TestServer refuse.
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        writer.WriteStartObject();
        writer.WriteString("status", report.Status == HealthStatus.Unhealthy ? "unhealthy" : "ok");
        writer.WriteString("health", report.Status.ToString());
        writer.WriteNumber("durationMs", report.TotalDuration.TotalMilliseconds);
        if (context.User.Identity?.IsAuthenticated != true || context.User.HasClaim(c => c.Type == AnonymousClaim))
        {
            writer.WriteEndObject();
            await writer.FlushAsync(context.RequestAborted);
            return;
        }

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
