using System.Text;
using CsCheck;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Tests.JsonRpc;

/// <summary>JSON text is forwardable exactly when every string in it reads back without an exception.</summary>
public sealed class JsonUnicodeTests
{
    [Theory]
    [InlineData("""{"a":"plain é 😀"}""", true)]
    [InlineData("""{"a":"\ud83d\ude00"}""", true)]
    [InlineData("""{"a":"\\ud800"}""", true)]
    [InlineData("""{"a":"\u0000\n\"\\"}""", true)]
    [InlineData("""{"a":"\ud800"}""", false)]
    [InlineData("""{"a":"\udc00"}""", false)]
    [InlineData("""{"a":"\ud83d x\ude00"}""", false)]
    [InlineData("""{"a":"\ud83d\n"}""", false)]
    [InlineData("""{"a":"\ud83d"}""", false)]
    [InlineData("""{"\ud800":1}""", false)]
    [InlineData("""{"a":"\ud83d\ud83d\ude00"}""", false)]
    public void Lone_surrogate_escapes_are_found_wherever_they_are(string json, bool valid) =>
        Assert.Equal(valid, JsonUnicode.IsValid(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Invalid_UTF8_inside_a_string_is_not_valid() =>
        Assert.False(JsonUnicode.IsValid([.. "{\"a\":\""u8, 0xC3, 0x28, .. "\"}"u8]));

    [Fact]
    public void Valid_exactly_when_every_string_reads_back()
    {
        var unit = Gen.OneOf(Gen.Char['a', 'z'].Select(c => c.ToString()), Gen.Const("\\n"), Gen.Const("\\\\"), Gen.Const("\\ud83d"),
            Gen.Const("\\ude00"), Gen.Const("\\u00e9"), Gen.Const("é"), Gen.Const("\\\\ud800"));
        unit.Array[0, 8].Select(parts => "{\"k\":\"" + string.Concat(parts) + "\",\"v\":[\"" + string.Concat(parts.Reverse()) + "\"]}")
            .Sample(json =>
            {
                using var document = System.Text.Json.JsonDocument.Parse(json);
                bool readable;
                try
                {
                    _ = document.RootElement.GetProperty("k").GetString();
                    _ = document.RootElement.GetProperty("v")[0].GetString();
                    readable = true;
                }
                catch (InvalidOperationException)
                {
                    readable = false;
                }

                return JsonUnicode.IsValid(Encoding.UTF8.GetBytes(json)) == readable;
            });
    }
}
