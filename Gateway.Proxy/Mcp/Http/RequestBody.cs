using System.Buffers;
using System.IO.Pipelines;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>Reading a POST body within its size limit, and telling a batch from a single message.</summary>
internal static class RequestBody
{
    /// <summary>The whole body, or null when it exceeds <paramref name="limit"/> bytes.</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(PipeReader reader, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            if (read.Buffer.Length > limit)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return null;
            }

            if (read.IsCompleted)
            {
                var body = read.Buffer.ToArray();
                reader.AdvanceTo(read.Buffer.End);
                return body;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    /// <summary>Whether the body is a JSON array (a batch): its first non-whitespace byte is '['.</summary>
    public static bool IsBatch(ReadOnlySpan<byte> body)
    {
        var start = body.IndexOfAnyExcept(" \t\r\n"u8);
        return start >= 0 && body[start] == (byte)'[';
    }

    /// <summary>Whether the media type (parameters such as <c>charset</c> ignored) is <c>application/json</c>.</summary>
    public static bool IsJson(string? contentType) => MediaTypes.Is(contentType, MediaTypes.Json);
}
