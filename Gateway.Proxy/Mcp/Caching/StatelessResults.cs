using System.Text.Json;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Mcp.Caching;

/// <summary>
/// What a 2026-07-28 result must carry that a session-era one did not: <c>resultType</c> on every result, and the
/// caching hints <c>ttlMs</c> and <c>cacheScope</c> on the cacheable ones (the lists, <c>server/discover</c>,
/// <c>resources/read</c>). Fields a backend already set are kept.
/// </summary>
internal static class StatelessResults
{
    /// <summary>The response with the fields added; unchanged when it is an error or already complete.</summary>
    public static byte[] Complete(byte[] response, string? method, TimeSpan listTtl)
    {
        var hints = Hints(method, listTtl);
        using var document = JsonDocument.Parse(response);
        var root = document.RootElement;
        if (!root.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Object)
        {
            return response;
        }

        var hasType = result.TryGetProperty("resultType", out var type);
        if (hasType && !type.ValueEquals("complete"u8) || hasType && hints is null)
        {
            // input_required carries no caching hints.
            return response;
        }

        var missingTtl = hints is not null && !result.TryGetProperty("ttlMs", out _);
        var missingScope = hints is not null && !result.TryGetProperty("cacheScope", out _);
        if (hasType && !missingTtl && !missingScope)
        {
            return response;
        }

        using var scratch = ScratchJsonWriter.Rent();
        var writer = scratch.Writer;
        writer.WriteStartObject();
        foreach (var property in root.EnumerateObject())
        {
            if (!property.NameEquals("result"u8))
            {
                property.WriteTo(writer);
                continue;
            }

            writer.WriteStartObject("result"u8);
            foreach (var field in result.EnumerateObject())
            {
                field.WriteTo(writer);
            }

            if (!hasType)
            {
                writer.WriteString("resultType"u8, "complete"u8);
            }

            if (missingTtl)
            {
                writer.WriteNumber("ttlMs"u8, hints!.Value.TtlMs);
            }

            if (missingScope)
            {
                writer.WriteString("cacheScope"u8, hints!.Value.Scope);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        return scratch.ToArray();
    }

    /// <summary>
    /// Lists are filtered by the caller's roles, so private; <c>server/discover</c> is the same for everyone. A read
    /// is private and immediately stale unless its backend says otherwise: the gateway cannot know how long it holds.
    /// </summary>
    private static (long TtlMs, string Scope)? Hints(string? method, TimeSpan listTtl) => method switch
    {
        McpMethods.ToolsList or McpMethods.PromptsList or McpMethods.ResourcesList or McpMethods.ResourceTemplatesList =>
            ((long)listTtl.TotalMilliseconds, "private"),
        McpMethods.Discover => ((long)listTtl.TotalMilliseconds, "public"),
        McpMethods.ResourcesRead => (0, "private"),
        _ => null,
    };
}
