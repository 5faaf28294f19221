using Gateway.Contracts;
using Gateway.Proxy.Catalog;
using Gateway.Proxy.JsonRpc;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp.Lists;

/// <summary>
/// Answers <c>tools/list</c> and the other merged lists from the catalog, one page at a time, with only the items
/// the caller may see.
/// </summary>
internal sealed class CatalogPages(CatalogService catalog, CallPipeline pipeline, IOptionsMonitor<McpOptions> options)
{
    public async ValueTask<byte[]> ListAsync(JsonRpcMessage message, McpRequestContext context, CatalogList list,
        string arrayName, CancellationToken cancellationToken)
    {
        var offset = 0;
        if (message.GetParamString("cursor") is { } cursor && !PageCursor.TryDecode(cursor, out offset))
        {
            return JsonRpcWriter.Error(message.Id, GatewayErrorCodes.InvalidParams, "Invalid params: unknown cursor.");
        }

        await catalog.WhenReadyAsync(cancellationToken);
        var kind = CatalogSnapshot.KindOf(list);
        var items = catalog.Current.List(list);
        var pageSize = options.CurrentValue.PageSize;
        return JsonRpcWriter.Result(message.Id, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray(arrayName);
            var visible = 0;
            var written = 0;
            var more = false;
            foreach (var entry in items)
            {
                if (!pipeline.IsVisible(context.Client, kind, entry.Name))
                {
                    continue;
                }

                if (visible++ < offset)
                {
                    continue;
                }

                if (written == pageSize)
                {
                    more = true;
                    break;
                }

                writer.WriteRawValue(entry.Json, skipInputValidation: true);
                written++;
            }

            writer.WriteEndArray();
            if (more)
            {
                writer.WriteString("nextCursor"u8, PageCursor.Encode(offset + written));
            }

            writer.WriteEndObject();
        });
    }
}
