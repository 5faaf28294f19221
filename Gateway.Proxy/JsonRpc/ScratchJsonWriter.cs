using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Proxy.JsonRpc;

/// <summary>
/// A <see cref="Utf8JsonWriter"/> and its buffer, kept per thread and reused. Every call writes two envelopes (the
/// backend request, the client's answer) and the canonical arguments for its audit event; a new writer and a buffer
/// the size of the message for each, then a copy of the result, were about a tenth of a proxied call's allocations.
/// Writing is synchronous, so a thread needs one at a time; a nested rent (a writer callback that writes JSON of its
/// own) gets a fresh one.
/// </summary>
/// <example><code>
/// using var scratch = ScratchJsonWriter.Rent();
/// scratch.Writer.WriteStartObject(); …
/// return scratch.ToArray();
/// </code></example>
internal sealed class ScratchJsonWriter : IDisposable
{
    /// <summary>A buffer grown past this by a large message is dropped rather than kept by the thread.</summary>
    private const int MaxRetainedBytes = 64 * 1024;

    private static readonly JsonWriterOptions s_relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    [ThreadStatic]
    private static ScratchJsonWriter? t_default;

    [ThreadStatic]
    private static ScratchJsonWriter? t_relaxed;

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly bool _isRelaxed;

    private ScratchJsonWriter(bool relaxed)
    {
        _isRelaxed = relaxed;
        Writer = relaxed ? new Utf8JsonWriter(_buffer, s_relaxed) : new Utf8JsonWriter(_buffer);
    }

    public Utf8JsonWriter Writer { get; }

    /// <summary>What has been written so far; valid until the next write or <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> WrittenSpan
    {
        get
        {
            Writer.Flush();
            return _buffer.WrittenSpan;
        }
    }

    /// <summary>A writer with the default options (escaping for HTML safety, structure validated).</summary>
    /// <param name="expectedBytes">
    /// The size the message will about have, when known: its buffer grows to it at once instead of doubling its way
    /// there from 1 KB, copying as it goes, for a large tool result.
    /// </param>
    public static ScratchJsonWriter Rent(int expectedBytes = 0)
    {
        var scratch = Take(ref t_default) ?? new ScratchJsonWriter(relaxed: false);
        if (expectedBytes > 0)
        {
            // Reserves without writing: GetSpan grows the buffer to fit the hint in one step when it must.
            scratch._buffer.GetSpan(expectedBytes);
        }

        return scratch;
    }

    /// <summary>A writer with minimal escaping and no validation: canonical forms, and refusals clients read as text.</summary>
    public static ScratchJsonWriter RentRelaxed() => Take(ref t_relaxed) ?? new ScratchJsonWriter(relaxed: true);

    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Returns the writer to this thread, emptied, unless its buffer grew too large to keep.</summary>
    public void Dispose()
    {
        if (_buffer.Capacity > MaxRetainedBytes)
        {
            return;
        }

        Writer.Reset(_buffer);
        _buffer.ResetWrittenCount();
        if (_isRelaxed)
        {
            t_relaxed = this;
        }
        else
        {
            t_default = this;
        }
    }

    private static ScratchJsonWriter? Take(ref ScratchJsonWriter? slot)
    {
        var cached = slot;
        slot = null;
        return cached;
    }
}
