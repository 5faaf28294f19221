using System.ComponentModel.DataAnnotations;

namespace Gateway.Proxy.Llm;

/// <summary>Settings of the LLM front end (<c>/v1</c>), bound from <c>Gateway:Llm</c>.</summary>
public sealed class LlmOptions
{
    public const string SectionName = "Gateway:Llm";

    /// <summary>Largest accepted request body, in bytes (HTTP 413 beyond), 1 KiB to 256 MiB. Default: 4 MiB.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Largest non-streamed provider answer, and largest single server-sent event, in bytes, 1 KiB to 256 MiB; a
    /// larger one is a provider failure. Default: 16 MiB.
    /// </summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxResponseBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Whether spans carry the request and answer bodies (<c>gen_ai.input.messages</c>, <c>gen_ai.output.messages</c>).
    /// They hold whatever users typed; keep off unless the telemetry backend may hold it. Default: false.
    /// </summary>
    public bool RecordContent { get; set; }

    /// <summary>The <c>anthropic-version</c> sent to Anthropic-kind providers when the caller sends none. Default: <c>2023-06-01</c>.</summary>
    [Required]
    public string AnthropicVersion { get; set; } = "2023-06-01";
}
