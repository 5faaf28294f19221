using System.Text.Json;

namespace Gateway.Proxy.Mcp.Subscriptions;

/// <summary>What a <c>subscriptions/listen</c> asked for (its <c>notifications</c> object); every type is opt-in.</summary>
internal sealed record SubscriptionFilter(bool Tools, bool Prompts, bool Resources, IReadOnlyList<string> ResourceUris)
{
    /// <summary>Most resource URIs one stream may subscribe to; the rest are not acknowledged.</summary>
    public const int MaxResourceUris = 100;

    public static SubscriptionFilter From(JsonElement parameters)
    {
        var notifications = parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("notifications", out var n)
            && n.ValueKind == JsonValueKind.Object ? n : default;
        return new SubscriptionFilter(
            Flag(notifications, "toolsListChanged"),
            Flag(notifications, "promptsListChanged"),
            Flag(notifications, "resourcesListChanged"),
            notifications.ValueKind == JsonValueKind.Object && notifications.TryGetProperty("resourceSubscriptions", out var uris) && uris.ValueKind == JsonValueKind.Array
                ? [.. uris.EnumerateArray().Where(u => u.ValueKind == JsonValueKind.String).Select(u => u.GetString()!).Where(u => u.Length > 0).Distinct(StringComparer.Ordinal).Take(MaxResourceUris)]
                : []);
    }

    /// <summary>Whether a catalog notification (<c>notifications/*/list_changed</c>) was asked for.</summary>
    public bool Wants(string method) => method switch
    {
        McpMethods.ToolsListChanged => Tools,
        McpMethods.PromptsListChanged => Prompts,
        McpMethods.ResourcesListChanged => Resources,
        _ => false,
    };

    /// <summary>The acknowledged filter, as the <c>notifications</c> object; <paramref name="uris"/> are the subscriptions that held.</summary>
    public void WriteAcknowledged(Utf8JsonWriter writer, IEnumerable<string> uris)
    {
        writer.WriteStartObject("notifications"u8);
        if (Tools)
        {
            writer.WriteBoolean("toolsListChanged"u8, true);
        }

        if (Prompts)
        {
            writer.WriteBoolean("promptsListChanged"u8, true);
        }

        if (Resources)
        {
            writer.WriteBoolean("resourcesListChanged"u8, true);
        }

        var held = uris.ToList();
        if (held.Count > 0)
        {
            writer.WriteStartArray("resourceSubscriptions"u8);
            foreach (var uri in held)
            {
                writer.WriteStringValue(uri);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static bool Flag(JsonElement notifications, string name) =>
        notifications.ValueKind == JsonValueKind.Object && notifications.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
