using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using CsCheck;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Tests.JsonRpc;

/// <summary>A relayed call's id, params and result travel as the bytes their sender wrote, written once around them.</summary>
public sealed class RelayBytesTests
{
    private static readonly Gen<string> s_ids = Gen.OneOf(
        Gen.String.Select(s => JsonSerializer.Serialize(s)),
        Gen.Long.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static readonly Gen<string> s_payloads = Gen.Dictionary(Gen.String[0, 8], Gen.OneOf(
        Gen.String.Select(s => (object?)s), Gen.Double.Where(double.IsFinite).Select(d => (object?)d), Gen.Bool.Select(b => (object?)b)))[0, 6]
        .Select(d => JsonSerializer.Serialize(d));

    [Fact]
    public void The_answer_carries_the_clients_id_and_the_backends_result_byte_for_byte()
    {
        Gen.Select(s_ids, s_payloads, Gen.Bool).Sample((id, payload, isError) =>
        {
            using var request = Parse($$$"""{"jsonrpc":"2.0","id":{{{id}}},"method":"tools/call","params":{"name":"echo"}}""");

            var answer = JsonRpcWriter.Response(request.Id, Encoding.UTF8.GetBytes(payload), isError);

            using var parsed = JsonDocument.Parse(answer);
            Assert.Equal("2.0", parsed.RootElement.GetProperty("jsonrpc").GetString());
            Assert.Equal(id, parsed.RootElement.GetProperty("id").GetRawText());
            Assert.Equal(payload, parsed.RootElement.GetProperty(isError ? "error" : "result").GetRawText());
        });
    }

    [Fact]
    public void Params_relayed_unchanged_are_a_slice_of_the_clients_message_not_a_copy()
    {
        var body = """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"a":"\u00e9"}}}"""u8.ToArray();
        using var request = Parse(body);

        var parameters = request.Raw(request.Params);

        Assert.True(MemoryMarshal.TryGetArray(parameters, out var segment));
        Assert.Same(body, segment.Array);
        Assert.Equal("""{"name":"echo","arguments":{"a":"\u00e9"}}""", Encoding.UTF8.GetString(parameters.Span));
    }

    [Fact]
    public void An_element_from_another_document_is_copied()
    {
        using var other = JsonDocument.Parse("""{"x":[1,2]}""");

        var raw = RawJson.Of("""{"y":3}"""u8.ToArray(), other.RootElement.GetProperty("x"));

        Assert.Equal("[1,2]", Encoding.UTF8.GetString(raw.Span));
    }

    private static JsonRpcMessage Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    private static JsonRpcMessage Parse(byte[] json) =>
        JsonRpcMessage.TryParse(json, out var error) ?? throw new InvalidOperationException(error.Message);
}
