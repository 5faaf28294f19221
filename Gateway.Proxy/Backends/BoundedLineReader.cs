using System.Buffers;
using System.IO.Pipelines;

namespace Gateway.Proxy.Backends;

/// <summary>
/// Newline-delimited lines from a child process's pipe, each at most <c>maxBytes</c> long. A child that writes a
/// longer line (a runaway or hostile server) gets <see cref="LineTooLongException"/> instead of the gateway buffering
/// it until memory runs out: at most <c>maxBytes</c> plus one pipe read are ever held.
/// </summary>
internal sealed class BoundedLineReader(Stream stream, int maxBytes)
{
    private readonly PipeReader _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));

    public int MaxBytes => maxBytes;

    /// <summary>The next line without its line ending, or null at the end of the stream.</summary>
    /// <exception cref="LineTooLongException">The line exceeds the limit; its bytes read so far are discarded.</exception>
    public async ValueTask<byte[]?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.PositionOf((byte)'\n') is { } newline)
            {
                var line = buffer.Slice(0, newline);
                var next = buffer.GetPosition(1, newline);
                if (line.Length > maxBytes)
                {
                    _reader.AdvanceTo(next);
                    throw new LineTooLongException(maxBytes);
                }

                var bytes = TrimCarriageReturn(line).ToArray();
                _reader.AdvanceTo(next);
                return bytes;
            }

            if (buffer.Length > maxBytes)
            {
                _reader.AdvanceTo(buffer.End);
                throw new LineTooLongException(maxBytes);
            }

            if (result.IsCompleted)
            {
                // A last line without a newline still counts; an empty end is the end.
                var rest = buffer.IsEmpty ? null : TrimCarriageReturn(buffer).ToArray();
                _reader.AdvanceTo(buffer.End);
                return rest;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static ReadOnlySequence<byte> TrimCarriageReturn(ReadOnlySequence<byte> line) =>
        !line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r' ? line.Slice(0, line.Length - 1) : line;
}

/// <summary>A child process wrote a line longer than the configured limit.</summary>
internal sealed class LineTooLongException(int maxBytes) : IOException($"Line longer than {maxBytes} bytes.")
{
    public int MaxBytes { get; } = maxBytes;
}
