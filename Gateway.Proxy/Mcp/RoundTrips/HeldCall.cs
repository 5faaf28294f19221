using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Contracts;
using Gateway.Proxy.Backends;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp.RoundTrips;

/// <summary>
/// A 2026-07-28 client's call held open while the client answers its session-era backend's questions: the backend
/// call runs on (one pipeline invocation, so one audit event, whatever the number of rounds), its questions wait here
/// for the next <c>input_required</c> result, and its progress and logging go to whichever request is current.
/// </summary>
internal sealed class HeldCall : IServerRequestSink, IDisposable
{
    private readonly Channel<Question> _questions = Channel.CreateUnbounded<Question>();
    private readonly Dictionary<string, Question> _outstanding = new(StringComparer.Ordinal);
    private readonly JsonElement _capabilities;
    private readonly int _maxRounds;
    private volatile IMcpMessageSink? _current;
    private int _asked;
    private int _resuming;

    public HeldCall(string id, ClientIdentity client, string method, string target, JsonElement capabilities, int maxRounds, TimeProvider time)
    {
        Id = id;
        Client = client;
        Method = method;
        Target = target;
        _capabilities = capabilities.ValueKind == JsonValueKind.Object ? capabilities.Clone() : default;
        _maxRounds = maxRounds;
        Lifetime = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    public string Id { get; }

    public ClientIdentity Client { get; }

    public string Method { get; }

    public string Target { get; }

    /// <summary>Cancelled when the client does not come back in time: ends the backend call.</summary>
    public CancellationTokenSource Lifetime { get; }

    /// <summary>The pipeline invocation; set once, right after the call is created.</summary>
    public Task<BackendResult> Invocation { get; set; } = Task.FromResult(default(BackendResult));

    /// <summary><c>input_required</c> results sent so far.</summary>
    public int Rounds { get; private set; }

    /// <summary>Where the backend's progress and logging go now: the current request's answer, or nowhere between requests.</summary>
    public IMcpMessageSink? Current
    {
        set => _current = value;
    }

    public ChannelReader<Question> Questions => _questions.Reader;

    public bool TryBeginResume() => Interlocked.CompareExchange(ref _resuming, 1, 0) == 0;

    public void EndResume() => Volatile.Write(ref _resuming, 0);

    public async ValueTask AskAsync(BackendConnection connection, string backendId, JsonElement request)
    {
        var method = request.TryGetProperty("method", out var m) ? m.GetString() : null;
        if (!ClientSupports(method))
        {
            // The client did not declare the capability: it may not be asked (MRTR: servers MUST NOT send such requests).
            await RefuseAsync(connection, backendId, GatewayErrorCodes.MethodNotFound, $"The client does not support {method}.");
            return;
        }

        if (Rounds >= _maxRounds)
        {
            await RefuseAsync(connection, backendId, GatewayErrorCodes.InvalidRequest,
                $"The call took {_maxRounds} input rounds already (Gateway:Mcp:MaxInputRounds).");
            return;
        }

        var key = "input-" + Interlocked.Increment(ref _asked).ToString(CultureInfo.InvariantCulture);
        await _questions.Writer.WriteAsync(new Question(key, connection, backendId, AsInputRequest(request)));
    }

    public async ValueTask SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        try
        {
            if (_current is { } sink)
            {
                await sink.SendAsync(message, cancellationToken);
            }
        }
        catch (ChannelClosedException)
        {
            // The request this was meant for has just been answered; the next one gets what follows.
        }
    }

    /// <summary>Moves every queued question to the outstanding ones; returns them all (older first), for one more round.</summary>
    public IReadOnlyCollection<Question> TakeRound()
    {
        lock (_outstanding)
        {
            while (_questions.Reader.TryRead(out var question))
            {
                _outstanding[question.Key] = question;
            }

            Rounds++;
            return [.. _outstanding.Values];
        }
    }

    /// <summary>Relays the client's answers to the questions they answer; unanswered ones stay outstanding.</summary>
    public async Task AnswerAsync(JsonElement inputResponses, CancellationToken cancellationToken)
    {
        List<(Question Question, JsonElement Answer)> answered = [];
        lock (_outstanding)
        {
            if (inputResponses.ValueKind == JsonValueKind.Object)
            {
                foreach (var question in _outstanding.Values.ToList())
                {
                    if (inputResponses.TryGetProperty(question.Key, out var answer))
                    {
                        answered.Add((question, answer));
                        _outstanding.Remove(question.Key);
                    }
                }
            }
        }

        foreach (var (question, answer) in answered)
        {
            using var response = JsonDocument.Parse(JsonRpcWriter.Response(default, JsonMarshalOf(answer), isError: false));
            await question.Connection.RespondAsync(question.BackendId, response.RootElement, cancellationToken);
        }
    }

    public bool HasOutstanding
    {
        get
        {
            lock (_outstanding)
            {
                return _outstanding.Count > 0;
            }
        }
    }

    public void Dispose() => Lifetime.Dispose();

    private bool ClientSupports(string? method) => method switch
    {
        "elicitation/create" => HasCapability("elicitation"),
        "sampling/createMessage" => HasCapability("sampling"),
        "roots/list" => HasCapability("roots"),
        _ => false,
    };

    private bool HasCapability(string name) => _capabilities.ValueKind == JsonValueKind.Object && _capabilities.TryGetProperty(name, out _);

    private static async Task RefuseAsync(BackendConnection connection, string backendId, int code, string text)
    {
        using var refusal = JsonDocument.Parse(JsonRpcWriter.Error(default, code, text));
        try
        {
            await connection.RespondAsync(backendId, refusal.RootElement, CancellationToken.None);
        }
        catch (BackendException)
        {
            // The backend's call fails or times out on its own; nothing more to tell it.
        }
    }

    /// <summary>The request as an <c>InputRequests</c> value: its method and params, without the backend's id.</summary>
    private static byte[] AsInputRequest(JsonElement request)
    {
        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        writer.WritePropertyName("method"u8);
        request.GetProperty("method").WriteTo(writer);
        if (request.TryGetProperty("params", out var parameters))
        {
            writer.WritePropertyName("params"u8);
            parameters.WriteTo(writer);
        }

        writer.WriteEndObject();
        return scratch.ToArray();
    }

    private static ReadOnlySpan<byte> JsonMarshalOf(JsonElement element) => System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);

    /// <summary>One backend request waiting for the client's answer, under the key the client answers it by.</summary>
    public sealed record Question(string Key, BackendConnection Connection, string BackendId, byte[] Request);
}
