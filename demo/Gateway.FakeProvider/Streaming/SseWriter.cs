using System.Buffers;
using System.Text;
using System.Text.Json;
using Gateway.FakeProvider.Faults;

namespace Gateway.FakeProvider.Streaming;

/// <summary>
/// Writes one <c>text/event-stream</c> response, flushing each event as it is written, and applies the stream faults
/// of the request's <see cref="FaultPlan"/>: a delay between events, a cut after N events, broken lines after the first.
/// </summary>
/// <remarks>
/// A cut stream declares a <c>Content-Length</c> it never reaches and ends after N events: Kestrel closes the
/// connection once what was written is sent, so the client reads exactly N events, then a premature end of the body
/// and never a terminal event. (<c>HttpContext.Abort()</c> would drop whatever Kestrel had not sent yet, so the
/// client would see anything from N events to none.)
/// </remarks>
internal sealed class SseWriter : IDisposable
{
    private static readonly byte[] EventField = "event: "u8.ToArray();
    private static readonly byte[] DataField = "data: "u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] Malformed = "data: {\"id\":\"broken\",\"choices\":[{\n\nthis line is no SSE field\n\n"u8.ToArray();

    /// <summary>The length a cut stream declares: far more than any fake response writes.</summary>
    private const long UnreachedLength = 1L << 30;

    private readonly HttpContext _context;
    private readonly Pause _pause;
    private readonly FaultPlan _fault;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;
    private int _events;

    public SseWriter(HttpContext context, Pause pause)
    {
        _context = context;
        _pause = pause;
        _fault = context.Features.Get<FaultPlan>() ?? FaultPlan.None;
        _json = new Utf8JsonWriter(_buffer);
    }

    /// <summary>True once a <see cref="FaultMode.CutStream"/> fault cut the stream: later writes do nothing.</summary>
    public bool IsCut { get; private set; }

    /// <summary>Sends the headers: 200, <c>text/event-stream</c>, no caching.</summary>
    public Task StartAsync()
    {
        var response = _context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        if (_fault.Mode == FaultMode.CutStream)
        {
            response.ContentLength = UnreachedLength;
        }

        return response.StartAsync(_context.RequestAborted);
    }

    /// <summary>One event whose data is the JSON object <paramref name="fill"/> writes; <paramref name="eventName"/> null for data-only events (OpenAI).</summary>
    public async Task WriteAsync<TState>(string? eventName, TState state, Action<Utf8JsonWriter, TState> fill)
    {
        if (!await BeforeEventAsync())
        {
            return;
        }

        _buffer.Clear();
        if (eventName is not null)
        {
            _buffer.Write(EventField);
            Encoding.UTF8.GetBytes(eventName, _buffer);
            _buffer.Write("\n"u8);
        }

        _buffer.Write(DataField);
        _json.Reset(_buffer);
        _json.WriteStartObject();
        fill(_json, state);
        _json.WriteEndObject();
        _json.Flush();
        _buffer.Write("\n\n"u8);
        await SendAsync(_buffer.WrittenMemory);
    }

    /// <summary>OpenAI's terminal <c>data: [DONE]</c>.</summary>
    public async Task WriteDoneAsync()
    {
        if (await BeforeEventAsync())
        {
            await SendAsync(Done);
        }
    }

    private async Task<bool> BeforeEventAsync()
    {
        if (IsCut)
        {
            return false;
        }

        if (_fault.Mode == FaultMode.CutStream && _events >= _fault.AfterEvents)
        {
            IsCut = true;
            return false;
        }

        if (_fault.Mode == FaultMode.SlowStream && _events > 0)
        {
            await _pause.ForAsync(_context, TimeSpan.FromMilliseconds(_fault.ChunkDelayMs));
        }

        if (_fault.Mode == FaultMode.MalformedSse && _events == 1)
        {
            await _context.Response.Body.WriteAsync(Malformed, _context.RequestAborted);
        }

        _events++;
        return true;
    }

    public void Dispose() => _json.Dispose();

    private async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await _context.Response.Body.WriteAsync(bytes, _context.RequestAborted);
        await _context.Response.Body.FlushAsync(_context.RequestAborted);
    }
}
