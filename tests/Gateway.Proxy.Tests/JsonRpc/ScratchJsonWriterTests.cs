using System.Text;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Tests.JsonRpc;

/// <summary>The per-thread JSON writer is reused empty, never shared by nested writes, and not kept when grown large.</summary>
public sealed class ScratchJsonWriterTests
{
    [Fact]
    public void A_writer_handed_back_is_reused_with_nothing_of_its_last_message()
    {
        ScratchJsonWriter first;
        using (first = ScratchJsonWriter.Rent())
        {
            first.Writer.WriteStartObject();
            first.Writer.WriteString("left", "over");

            // Abandoned mid-object, as an exception would leave it.
        }

        using var second = ScratchJsonWriter.Rent();
        second.Writer.WriteStartArray();
        second.Writer.WriteEndArray();

        Assert.Same(first, second);
        Assert.Equal("[]", Encoding.UTF8.GetString(second.ToArray()));
    }

    [Fact]
    public void A_nested_rent_gets_a_writer_of_its_own()
    {
        using var outer = ScratchJsonWriter.Rent();
        outer.Writer.WriteStartObject();
        byte[] inner;
        using (var nested = ScratchJsonWriter.Rent())
        {
            nested.Writer.WriteNumberValue(1);
            inner = nested.ToArray();
        }

        outer.Writer.WritePropertyName("inner");
        outer.Writer.WriteRawValue(inner);
        outer.Writer.WriteEndObject();

        Assert.Equal("""{"inner":1}""", Encoding.UTF8.GetString(outer.ToArray()));
    }

    [Fact]
    public void A_writer_grown_past_64_KB_is_not_kept_by_the_thread()
    {
        ScratchJsonWriter large;
        using (large = ScratchJsonWriter.Rent())
        {
            large.Writer.WriteStringValue(new string('x', 100_000));
        }

        using var next = ScratchJsonWriter.Rent();

        Assert.NotSame(large, next);
    }

    [Fact]
    public void A_reserved_size_is_room_not_content_and_a_large_envelope_comes_out_whole()
    {
        var payload = Encoding.UTF8.GetBytes("\"" + new string('x', 200_000) + "\"");
        using (var reserved = ScratchJsonWriter.Rent(expectedBytes: payload.Length))
        {
            Assert.Equal(0, reserved.WrittenSpan.Length);
        }

        var envelope = JsonRpcWriter.Response(System.Text.Json.JsonDocument.Parse("7").RootElement, payload, isError: false);

        using var parsed = System.Text.Json.JsonDocument.Parse(envelope);
        Assert.Equal(7, parsed.RootElement.GetProperty("id").GetInt32());
        Assert.Equal(200_000, parsed.RootElement.GetProperty("result").GetString()!.Length);
    }

    [Fact]
    public void Relaxed_writers_escape_minimally_and_default_ones_do_not()
    {
        using var relaxed = ScratchJsonWriter.RentRelaxed();
        using var strict = ScratchJsonWriter.Rent();

        relaxed.Writer.WriteStringValue("<é>");
        strict.Writer.WriteStringValue("<é>");

        Assert.Equal("\"<é>\"", Encoding.UTF8.GetString(relaxed.ToArray()));
        Assert.Equal("\"\\u003C\\u00E9\\u003E\"", Encoding.UTF8.GetString(strict.ToArray()));
    }
}
