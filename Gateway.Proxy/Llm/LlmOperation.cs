using Gateway.Contracts.Configuration;

namespace Gateway.Proxy.Llm;

/// <summary>One of the <c>/v1</c> operations: where it is served, what providers it needs, how it is named in telemetry.</summary>
/// <param name="Method">The audit event's method, e.g. <c>chat.completions</c>.</param>
/// <param name="Path">The path below the gateway's <c>/v1</c> and below a provider's base URL.</param>
/// <param name="GenAiOperation">The OpenTelemetry <c>gen_ai.operation.name</c>.</param>
/// <param name="Api">The API the caller and the provider speak; errors are rendered in its shape.</param>
/// <param name="CanStream">Whether <c>"stream": true</c> is meaningful.</param>
public sealed record LlmOperation(string Method, string Path, string GenAiOperation, ProviderKind Api, bool CanStream)
{
    public static LlmOperation ChatCompletions { get; } = new("chat.completions", "chat/completions", "chat", ProviderKind.OpenAI, CanStream: true);

    public static LlmOperation Embeddings { get; } = new("embeddings", "embeddings", "embeddings", ProviderKind.OpenAI, CanStream: false);

    public static LlmOperation Messages { get; } = new("messages", "messages", "chat", ProviderKind.Anthropic, CanStream: true);

    /// <summary><c>GET /v1/models</c>: answered by the gateway from its configuration, never relayed.</summary>
    public static LlmOperation Models { get; } = new("models.list", "models", "models", ProviderKind.OpenAI, CanStream: false);
}
