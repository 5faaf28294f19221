using System.Globalization;
using Gateway.AuditService.Storage;
using Gateway.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Gateway.AuditService.Api;

/// <summary>
/// The read side of the audit log, for auditors and admins only: search with keyset paging, one record by id,
/// streamed export, and per-minute statistics for the dashboard.
/// </summary>
internal static class AuditApi
{
    /// <summary>Page size when <c>limit</c> is not given.</summary>
    public const int DefaultLimit = 100;

    /// <summary>Largest page size accepted.</summary>
    public const int MaxLimit = 1000;

    /// <summary>Stats window when <c>window</c> is not given.</summary>
    public static readonly TimeSpan DefaultStatsWindow = TimeSpan.FromMinutes(15);

    /// <summary>Largest stats window accepted: the percentiles rank every call of the window.</summary>
    public static readonly TimeSpan MaxStatsWindow = TimeSpan.FromHours(24);

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder endpoints)
    {
        var audit = endpoints.MapGroup("/api/audit").RequireAuthorization(GatewayAuth.AuditorPolicy).RequireTrustedHost();
        audit.MapGet("/", SearchAsync);
        audit.MapGet("/{id:guid}", FindAsync);
        audit.MapGet("/export", Export);
        audit.MapGet("/stats", StatsAsync);
        return endpoints;
    }

    internal sealed record SearchResponse(IReadOnlyList<Contracts.Messages.AuditEvent> Items, string? NextCursor);

    private static async Task<Results<Ok<SearchResponse>, ProblemHttpResult>> SearchAsync(
        [AsParameters] AuditQueryParameters query, int? limit, string? cursor, IAuditStore store, CancellationToken cancellationToken)
    {
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > MaxLimit)
        {
            return BadRequest($"limit must be between 1 and {MaxLimit}.");
        }

        AuditCursor? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!AuditCursor.TryParse(cursor, out after))
            {
                return BadRequest("cursor is not a cursor returned by this API.");
            }
        }

        var page = await store.Queries.QueryAsync(query.ToFilter(), after, size, cancellationToken);
        return TypedResults.Ok(new SearchResponse(page.Items, page.Next?.Encode()));
    }

    private static async Task<Results<Ok<Contracts.Messages.AuditEvent>, NotFound>> FindAsync(
        Guid id, IAuditStore store, CancellationToken cancellationToken) =>
        await store.Queries.FindAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found) : TypedResults.NotFound();

    private static IResult Export(
        [AsParameters] AuditQueryParameters query, string? format, IAuditStore store, IOptions<JsonOptions> json, TimeProvider time, HttpContext context)
    {
        var filter = query.ToFilter();
        var stamp = time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        return (format ?? "ndjson").ToLowerInvariant() switch
        {
            "ndjson" => TypedResults.Stream(
                body => AuditExport.WriteNdjsonAsync(store.Queries.ExportAsync(filter, context.RequestAborted), body, json.Value.SerializerOptions, context.RequestAborted),
                "application/x-ndjson", $"audit-{stamp}.ndjson"),
            "csv" => TypedResults.Stream(
                body => AuditExport.WriteCsvAsync(store.Queries.ExportAsync(filter, context.RequestAborted), body, context.RequestAborted),
                "text/csv; charset=utf-8", $"audit-{stamp}.csv"),
            _ => BadRequest("format must be ndjson or csv."),
        };
    }

    private static async Task<Results<Ok<AuditStats>, ProblemHttpResult>> StatsAsync(
        string? window, DateTimeOffset? to, IAuditStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var span = DefaultStatsWindow;
        if (!string.IsNullOrEmpty(window) && !TryParseWindow(window, out span))
        {
            return BadRequest("window must be a duration such as 15m, 1h or 00:15:00.");
        }

        if (span <= TimeSpan.Zero || span > MaxStatsWindow)
        {
            return BadRequest($"window must be positive and at most {MaxStatsWindow}.");
        }

        var end = to ?? time.GetUtcNow();
        return TypedResults.Ok(await store.Queries.StatsAsync(end - span, end, cancellationToken));
    }

    /// <summary>Accepts <c>90s</c>, <c>15m</c>, <c>2h</c>, <c>1d</c> or a .NET time span (<c>00:15:00</c>).</summary>
    internal static bool TryParseWindow(string text, out TimeSpan window)
    {
        window = default;
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            TimeSpan? unit = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(1),
                'm' => TimeSpan.FromMinutes(1),
                'h' => TimeSpan.FromHours(1),
                'd' => TimeSpan.FromDays(1),
                _ => null,
            };
            if (unit is { } u && amount <= TimeSpan.MaxValue.Ticks / u.Ticks)
            {
                window = u * amount;
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out window);
    }

    private static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid audit query");
}
