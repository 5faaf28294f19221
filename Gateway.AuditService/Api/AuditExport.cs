using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Gateway.AuditService.Storage;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Api;

/// <summary>
/// Streams records as NDJSON or CSV while they are read, so an export of millions of rows holds one row in memory
/// and the client sees bytes at once.
/// </summary>
internal static class AuditExport
{
    /// <summary>Rows written between flushes: large enough to fill network buffers, small enough to stay responsive.</summary>
    private const int FlushEvery = 500;

    private static readonly string[] CsvColumns =
    [
        "eventId", "timestamp", "source", "requestId", "sessionId", "clientId", "method", "target", "backend",
        "decision", "status", "errorCode", "latencyMs", "responseBytes", "argumentsSha256", "arguments", "detail", "user",
        "upstreamModel", "streamed", "ttfbMs", "inputTokens", "outputTokens", "attempts",
    ];

    /// <summary>First characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection list).</summary>
    private static readonly SearchValues<char> FormulaStart = SearchValues.Create("=+-@\t\r");

    public static async Task WriteNdjsonAsync(IAsyncEnumerable<AuditEvent> events, Stream body, JsonSerializerOptions json, CancellationToken cancellationToken)
    {
        var rows = 0;
        // Serializing into a pipe only fills memory; bytes reach the response on the awaited flushes, never by sync I/O.
        var pipe = PipeWriter.Create(body, new StreamPipeWriterOptions(leaveOpen: true));
        await using var writer = new Utf8JsonWriter(pipe, new JsonWriterOptions { Encoder = json.Encoder });
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            JsonSerializer.Serialize(writer, e, json);
            writer.Reset();
            pipe.Write("\n"u8);
            if (++rows % FlushEvery == 0)
            {
                await pipe.FlushAsync(cancellationToken);
            }
        }

        await pipe.CompleteAsync();
    }

    public static async Task WriteCsvAsync(IAsyncEnumerable<AuditEvent> events, Stream body, CancellationToken cancellationToken)
    {
        var rows = 0;
        await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024, leaveOpen: true)
        {
            NewLine = "\r\n",
        };
        await writer.WriteLineAsync(string.Join(',', CsvColumns));
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            // Text that came from the event is neutralised; the values formatted here (ids, times, numbers such as the
            // negative error codes) are not, or a spreadsheet would read "-32005" as text.
            string[] fields =
            [
                Escape(e.EventId.ToString()),
                Escape(e.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
                Text(e.Source),
                Text(e.RequestId),
                Text(e.SessionId),
                Text(e.ClientId),
                Text(e.Method),
                Text(e.Target),
                Text(e.Backend),
                Escape(e.Decision.ToString()),
                Text(e.Status),
                Escape(e.ErrorCode?.ToString(CultureInfo.InvariantCulture)),
                Escape(e.LatencyMs.ToString("R", CultureInfo.InvariantCulture)),
                Escape(e.ResponseBytes.ToString(CultureInfo.InvariantCulture)),
                Text(e.ArgumentsSha256),
                Text(e.Arguments),
                Text(e.Detail),
                Text(e.User),
                Text(e.Llm?.UpstreamModel),
                Escape(e.Llm is { } llm ? (llm.Streamed ? "true" : "false") : null),
                Escape(e.Llm?.TimeToFirstByteMs?.ToString("R", CultureInfo.InvariantCulture)),
                Escape(e.Llm?.InputTokens?.ToString(CultureInfo.InvariantCulture)),
                Escape(e.Llm?.OutputTokens?.ToString(CultureInfo.InvariantCulture)),
                // The attempts as stored: a JSON array, one cell.
                Text(e.Llm is null ? null : LlmAttemptsJson.Serialize(e.Llm.Attempts)),
            ];
            await writer.WriteLineAsync(string.Join(',', fields));
            if (++rows % FlushEvery == 0)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// A text field written by a client or a backend (tool names, URIs, ids, details): when it starts with a character
    /// a spreadsheet takes as the start of a formula (<c>= + - @</c>, tab, carriage return), it gets a leading
    /// apostrophe, so opening the export never evaluates what a caller put into the audit log (CSV injection). Then
    /// escaped as <see cref="Escape"/>.
    /// </summary>
    internal static string Text(string? field) =>
        Escape(field is { Length: > 0 } && FormulaStart.Contains(field[0]) ? "'" + field : field);

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, and quotes inside it doubled.</summary>
    internal static string Escape(string? field)
    {
        if (string.IsNullOrEmpty(field))
        {
            return "";
        }

        return field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
