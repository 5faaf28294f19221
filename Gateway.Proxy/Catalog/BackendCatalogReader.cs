using System.Collections.Immutable;
using System.Text.Json;
using Gateway.Proxy.Backends;
using Gateway.Proxy.Mcp;

namespace Gateway.Proxy.Catalog;

/// <summary>Reads one backend's tools, prompts, resources and resource templates, following its cursors.</summary>
internal static class BackendCatalogReader
{
    private const int MaxPages = 100;

    public static async Task<BackendCatalog> ReadAsync(BackendConnection connection, CancellationToken cancellationToken) => new(
        connection.Backend,
        await ListAsync(connection, McpMethods.ToolsList, "tools", "name", cancellationToken),
        await ListAsync(connection, McpMethods.PromptsList, "prompts", "name", cancellationToken),
        await ListAsync(connection, McpMethods.ResourcesList, "resources", "uri", cancellationToken),
        await ListAsync(connection, McpMethods.ResourceTemplatesList, "resourceTemplates", "uriTemplate", cancellationToken));

    private static async Task<ImmutableArray<CatalogEntry>> ListAsync(BackendConnection connection, string method, string arrayName,
        string keyName, CancellationToken cancellationToken)
    {
        var items = ImmutableArray.CreateBuilder<CatalogEntry>();
        string? cursor = null;
        for (var page = 0; page < MaxPages; page++)
        {
            var parameters = cursor is null ? "{}"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["cursor"] = cursor });
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(connection.Options.Timeout);
            using var response = await connection.RequestAsync(method, parameters, null, timeout.Token);
            if (!response.RootElement.TryGetProperty("result", out var result))
            {
                // An error here means the backend does not offer this kind of item (-32601).
                break;
            }

            if (result.TryGetProperty(arrayName, out var array) && array.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in array.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object
                        && item.TryGetProperty(keyName, out var key)
                        && key.GetString() is { Length: > 0 } name)
                    {
                        items.Add(new CatalogEntry(name, connection.Backend, name, JsonSerializer.SerializeToUtf8Bytes(item)));
                    }
                }
            }

            cursor = result.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            if (cursor is null)
            {
                break;
            }
        }

        return items.ToImmutable();
    }
}
