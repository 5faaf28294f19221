using System.Buffers;
using System.IO.Pipelines;

namespace Gateway.Proxy.Llm.Relay;

/// <summary>One server-sent event as the provider sent it, and its data.</summary>
/// <param name="Raw">The event's bytes, blank line included, to relay unchanged. Valid until the next read.</param>
/// <param name="Data">The <c>data:</c> lines' values joined by <c>\n</c>; empty for a comment-only event.</param>
/// <param name="HasData">Whether the event had a <c>data:</c> line.</param>
internal readonly record struct SseEvent(ReadOnlyMemory<byte> Raw, ReadOnlyMemory<byte> Data, bool HasData)
{
    /// <summary>OpenAI's end of stream.</summary>
    public bool IsDone => HasData && Data.Span.SequenceEqual("[DONE]"u8);
}

/// <summary>A provider's stream broke the server-sent events format or the gateway's bounds.</summary>
internal sealed class SseProtocolException(string message) : Exception(message);

/// <summary>
/// Reads server-sent events one at a time from a provider's answer, without waiting for more than the event at
/// hand, so each can be relayed the moment it is complete. Events are bounded in size; a line-oriented parser in the
/// SSE specification's terms (<c>\n</c> or <c>\r\n</c> line ends, a blank line ends an event, <c>:</c> comments).
/// </summary>
internal sealed class SseEventReader(Stream stream, int maxEventBytes) : IAsyncDisposable
{
    private readonly PipeReader _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: false));
    private readonly ArrayBufferWriter<byte> _raw = new(4096);
    private readonly ArrayBufferWriter<byte> _data = new(4096);

    /// <summary>The next event, or null at the end of the stream. Bytes after the last complete event are a protocol error.</summary>
    public async ValueTask<SseEvent?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryReadEvent(ref buffer, out var hasData))
            {
                _reader.AdvanceTo(buffer.Start);
                return new SseEvent(_raw.WrittenMemory, _data.WrittenMemory, hasData);
            }

            if (buffer.Length > maxEventBytes)
            {
                throw new SseProtocolException($"An event exceeded {maxEventBytes} bytes.");
            }

            if (result.IsCompleted)
            {
                var trailing = !IsBlank(buffer);
                _reader.AdvanceTo(buffer.End);
                return trailing ? throw new SseProtocolException("The stream ended in the middle of an event.") : null;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public ValueTask DisposeAsync() => _reader.CompleteAsync();

    /// <summary>Consumes one complete event from <paramref name="buffer"/> into the scratch buffers; false when none is complete yet.</summary>
    private bool TryReadEvent(ref ReadOnlySequence<byte> buffer, out bool hasData)
    {
        _raw.ResetWrittenCount();
        _data.ResetWrittenCount();
        hasData = false;
        var reader = new SequenceReader<byte>(buffer);
        var start = reader.Position;
        var sawField = false;
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
        {
            var text = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
            if (text.Length > 0 && text[^1] == (byte)'\r')
            {
                text = text[..^1];
            }

            if (text.IsEmpty)
            {
                if (!sawField)
                {
                    // Blank lines before an event carry nothing.
                    start = reader.Position;
                    continue;
                }

                var raw = buffer.Slice(start, reader.Position);
                foreach (var segment in raw)
                {
                    _raw.Write(segment.Span);
                }

                buffer = buffer.Slice(reader.Position);
                return true;
            }

            sawField = true;
            if (text.StartsWith("data:"u8))
            {
                var value = text[5..];
                if (!value.IsEmpty && value[0] == (byte)' ')
                {
                    value = value[1..];
                }

                if (hasData)
                {
                    _data.Write("\n"u8);
                }

                _data.Write(value);
                hasData = true;
            }
        }

        return false;
    }

    private static bool IsBlank(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)'\n' or (byte)'\r' or (byte)' '))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
