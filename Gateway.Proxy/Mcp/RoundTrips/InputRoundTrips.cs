using System.Text.Json;
using Gateway.Contracts;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Pipeline;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp.RoundTrips;

/// <summary>
/// Multi round-trip requests (2026-07-28) in front of session-era backends. A stateless client's <c>tools/call</c>,
/// <c>prompts/get</c> or <c>resources/read</c> runs as a <see cref="HeldCall"/>: when its backend asks the client
/// something, the client gets <c>resultType: "input_required"</c> with the questions and a sealed
/// <c>requestState</c>, and its retry with <c>inputResponses</c> continues the same backend call. The retry may land
/// on another replica, which forwards it here (the state names this replica's address).
/// </summary>
internal sealed class InputRoundTrips(
    HeldCalls calls,
    RequestStateSeal seal,
    ReplicaIdentity replica,
    IOptionsMonitor<McpOptions> options,
    TimeProvider time)
{
    public const string StateProperty = "requestState";
    public const string ResponsesProperty = "inputResponses";
    public const string MetaClientCapabilities = "io.modelcontextprotocol/clientCapabilities";

    /// <summary>Whether a stateless request's method may be answered with <c>input_required</c>.</summary>
    public static bool Applies(string? method) => method is McpMethods.ToolsCall or McpMethods.PromptsGet or McpMethods.ResourcesRead;

    /// <summary>The replica holding the call a retry continues, when it is another one; null otherwise.</summary>
    public string? HolderElsewhere(JsonRpcMessage message) =>
        Applies(message.Method) && message.GetParamString(StateProperty) is { } state && seal.Open(state) is { } opened
            && opened.ReplicaId != replica.Id
            ? opened.ReplicaAddress ?? ""
            : null;

    /// <summary>
    /// Starts the call held: <paramref name="invoke"/> runs the pipeline with the held call as the relay sink and its
    /// lifetime as the cancellation. Answers with the result, or with <c>input_required</c>.
    /// </summary>
    public async ValueTask<byte[]> StartAsync(JsonRpcMessage message, McpRequestContext context, string target,
        Func<HeldCall, CancellationToken, ValueTask<BackendResult>> invoke, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var held = new HeldCall(HeldCalls.NewId(), context.Client, message.Method!, target, message.GetMeta(MetaClientCapabilities),
            settings.MaxInputRounds, time) { Current = context.Sink };
        // A call whose client does not come back in time is forgotten (and its backend call cancelled).
        held.Lifetime.Token.UnsafeRegister(static state => { var (calls, held) = ((HeldCalls, HeldCall))state!; calls.Remove(held); }, (calls, held));
        held.Invocation = invoke(held, held.Lifetime.Token).AsTask();
        return await NextAnswerAsync(held, message.Id, context, cancellationToken);
    }

    /// <summary>A retry carrying <c>requestState</c>: answers the held call's questions and waits for what follows.</summary>
    public async ValueTask<byte[]> ResumeAsync(JsonRpcMessage message, McpRequestContext context, string? target, CancellationToken cancellationToken)
    {
        var state = seal.Open(message.GetParamString(StateProperty)!);
        if (state is null)
        {
            return Invalid(message, "requestState is not valid here (altered, expired, or sealed by another gateway).");
        }

        if (state.Method != message.Method || state.Target != target || state.ClientId != context.Client.ClientId)
        {
            return Invalid(message, "requestState belongs to another request.");
        }

        if (state.ReplicaId != replica.Id)
        {
            return JsonRpcWriter.Error(message.Id, GatewayErrorCodes.TransportError,
                "The call this requestState continues is held by another replica that could not be reached; call again without requestState.");
        }

        if (calls.Find(state.CallId) is not { } held || !held.Client.IsSameCaller(context.Client))
        {
            return Invalid(message, "The call this requestState continues has ended (answered, timed out or cancelled); call again without requestState.");
        }

        if (!held.TryBeginResume())
        {
            return Invalid(message, "The call this requestState continues is being continued by another request.");
        }

        try
        {
            held.Lifetime.CancelAfter(Timeout.InfiniteTimeSpan);
            held.Current = context.Sink;
            var responses = message.Params.TryGetProperty(ResponsesProperty, out var given) ? given : default;
            await held.AnswerAsync(responses, cancellationToken);
            return await NextAnswerAsync(held, message.Id, context, cancellationToken);
        }
        finally
        {
            held.EndResume();
        }
    }

    private async ValueTask<byte[]> NextAnswerAsync(HeldCall held, JsonElement id, McpRequestContext context, CancellationToken cancellationToken)
    {
        var answered = false;
        try
        {
            if (!held.HasOutstanding)
            {
                var question = held.Questions.WaitToReadAsync(cancellationToken).AsTask();
                await Task.WhenAny(held.Invocation, question).WaitAsync(cancellationToken);
            }

            if (held.Invocation.IsCompleted)
            {
                // The backend answered (or the call ended): questions it left are moot.
                answered = true;
                calls.Remove(held);
                if (held.Invocation.IsCompletedSuccessfully)
                {
                    var result = held.Invocation.Result;
                    return JsonRpcWriter.Response(id, result.Response.Span, result.IsError);
                }

                return JsonRpcWriter.Error(id, GatewayErrorCodes.TransportError, "The call ended without an answer (cancelled or timed out).");
            }

            // Only a call that waits for its client is held (and counted against the cap).
            if (held.Rounds == 0 && !calls.TryAdd(held))
            {
                answered = true;
                await held.Lifetime.CancelAsync();
                return JsonRpcWriter.Error(id, GatewayErrorCodes.TransportError,
                    $"Too many calls waiting for their clients' input on this gateway (limit {options.CurrentValue.MaxHeldCalls}); retry later.");
            }

            return InputRequired(id, held, context);
        }
        finally
        {
            // Between requests the backend's messages have no one to go to, and the client gets this long to come back;
            // a first request that ends unanswered (its client went away, or it timed out) takes its call with it.
            held.Current = null;
            if (!answered && held.Rounds == 0)
            {
                await held.Lifetime.CancelAsync();
            }
            else if (!answered)
            {
                held.Lifetime.CancelAfter(options.CurrentValue.InputTimeout);
            }
        }
    }

    private byte[] InputRequired(JsonElement id, HeldCall held, McpRequestContext context)
    {
        var questions = held.TakeRound();
        var state = seal.Seal(new RequestState(held.Id, replica.Id, replica.Address, context.Client.ClientId, held.Method, held.Target,
            time.GetUtcNow().Add(options.CurrentValue.InputTimeout).ToUnixTimeMilliseconds()));
        return JsonRpcWriter.Result(id, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("resultType"u8, "input_required"u8);
            writer.WriteStartObject("inputRequests"u8);
            foreach (var question in questions)
            {
                writer.WritePropertyName(question.Key);
                writer.WriteRawValue(question.Request, skipInputValidation: true);
            }

            writer.WriteEndObject();
            writer.WriteString("requestState"u8, state);
            writer.WriteEndObject();
        });
    }

    private static byte[] Invalid(JsonRpcMessage message, string text) =>
        JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidParams, "Invalid params: " + text);
}
