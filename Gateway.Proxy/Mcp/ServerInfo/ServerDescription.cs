using System.Text;
using System.Text.Json;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Mcp.ServerInfo;

/// <summary>What the gateway says about itself: the <c>initialize</c> and <c>server/discover</c> results.</summary>
internal static class ServerDescription
{
    public static byte[] InitializeResult(JsonElement id, string version) => JsonRpcWriter.Result(id, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("protocolVersion"u8, version);
        WriteCapabilities(writer, logging: true);
        WriteServerInfo(writer, "serverInfo"u8);
        writer.WriteEndObject();
    });

    public static byte[] DiscoverResult(JsonElement id) => JsonRpcWriter.Result(id, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("resultType"u8, "complete"u8);
        writer.WriteStartArray("supportedVersions"u8);
        foreach (var version in McpProtocol.AllVersions)
        {
            writer.WriteStringValue(version);
        }

        writer.WriteEndArray();
        WriteCapabilities(writer, logging: false);
        WriteServerInfo(writer, "serverInfo"u8);
        writer.WriteStartObject("_meta"u8);
        WriteServerInfo(writer, Encoding.UTF8.GetBytes(McpProtocol.MetaServerInfo));
        writer.WriteEndObject();
        writer.WriteEndObject();
    });

    private static void WriteCapabilities(Utf8JsonWriter writer, bool logging)
    {
        writer.WriteStartObject("capabilities"u8);
        writer.WriteStartObject("tools"u8);
        writer.WriteBoolean("listChanged"u8, true);
        writer.WriteEndObject();
        writer.WriteStartObject("resources"u8);
        writer.WriteBoolean("subscribe"u8, true);
        writer.WriteBoolean("listChanged"u8, true);
        writer.WriteEndObject();
        writer.WriteStartObject("prompts"u8);
        writer.WriteBoolean("listChanged"u8, true);
        writer.WriteEndObject();
        writer.WriteStartObject("completions"u8);
        writer.WriteEndObject();
        if (logging)
        {
            writer.WriteStartObject("logging"u8);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteServerInfo(Utf8JsonWriter writer, ReadOnlySpan<byte> propertyName)
    {
        writer.WriteStartObject(propertyName);
        writer.WriteString("name"u8, McpProtocol.ServerName);
        writer.WriteString("version"u8, McpProtocol.ServerVersion);
        writer.WriteEndObject();
    }
}
