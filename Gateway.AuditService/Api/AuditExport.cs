using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
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
        "decision", "status", "errorCode", "latencyMs", "responseBytes", "argumentsSha256", "arguments", "detail",
    ];

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
            string?[] fields =
            [
                e.EventId.ToString(),
                e.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                e.Source,
                e.RequestId,
                e.SessionId,
                e.ClientId,
                e.Method,
                e.Target,
                e.Backend,
                e.Decision.ToString(),
                e.Status,
                e.ErrorCode?.ToString(CultureInfo.InvariantCulture),
                e.LatencyMs.ToString("R", CultureInfo.InvariantCulture),
                e.ResponseBytes.ToString(CultureInfo.InvariantCulture),
                e.ArgumentsSha256,
                e.Arguments,
                e.Detail,
            ];
            await writer.WriteLineAsync(string.Join(',', fields.Select(Escape)));
            if (++rows % FlushEvery == 0)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        await writer.FlushAsync(cancellationToken);
    }

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
