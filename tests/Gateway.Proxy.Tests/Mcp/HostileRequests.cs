using System.Globalization;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace Gateway.Proxy.Tests.Mcp;

/// <summary>
/// Generated hostile MCP bodies over the whole JSON-RPC request shape: ids of every type and size, methods, tool,
/// prompt and resource names, arguments nested deep or holding huge strings, lone surrogates and odd numbers,
/// <c>_meta</c> and progress tokens, wrong versions, non-objects, batches, truncated JSON and raw bytes. Built as
/// JSON text (not through a serializer), so escapes such as <c>\ud800</c> reach the gateway as a client wrote them.
/// </summary>
internal static class HostileRequests
{
    /// <summary>The tool the test backend offers.</summary>
    public const string Tool = "echo";

    /// <summary>A resource the test backend lists.</summary>
    public const string Resource = "fake://alpha/readme";

    /// <summary>Text a client could mean: plain, non-ASCII, quotes and escapes, control characters, NUL.</summary>
    private static readonly Gen<string> PlainText = Gen.OneOf(
        Gen.String[Gen.Char["abcxyz019 _-./:'\"\\é€漢\u2028\t\n"], 0, 24],
        Gen.Const(""),
        Gen.Const("\u0000"),
        Gen.Const("a\u001fb"),
        Gen.Const("😀"));

    /// <summary>A JSON string token: escaped text, a long one, or one with a lone or reversed surrogate escape.</summary>
    private static readonly Gen<string> StringToken = Gen.Frequency(
        (6, PlainText.Select(Literal)),
        (2, Gen.Int[200, 6000].Select(n => Literal(new string('i', n)))),
        (1, Gen.Const("\"x\\ud800\"")),
        (1, Gen.Const("\"\\udc00\\ud800\"")),
        (1, Gen.Const("\"\\ud83d\\ude00 ok\"")),
        (1, Gen.Const("\"\\u0000\"")));

    /// <summary>Numbers a parser may choke on: huge, tiny, negative zero, long fractions and many digits.</summary>
    private static readonly Gen<string> NumberToken = Gen.OneOf(
        Gen.Long.Select(n => n.ToString(CultureInfo.InvariantCulture)),
        Gen.Const("1e400"), Gen.Const("-0"), Gen.Const("1.5e-400"), Gen.Const("0.1000000000000000000000000001"),
        Gen.Int[20, 5000].Select(n => new string('9', n)));

    private static readonly Gen<string> Scalar = Gen.OneOf(StringToken, NumberToken, Gen.Const("true"), Gen.Const("null"), Gen.Const("{}"), Gen.Const("[1,[2]]"));

    /// <summary>Ids of every JSON type and size; null means none (a notification).</summary>
    private static readonly Gen<string?> Id = Gen.Frequency(
        (6, Gen.Int[0, 1000].Select(n => (string?)n.ToString(CultureInfo.InvariantCulture))),
        (4, Scalar.Select(s => (string?)s)),
        (1, Gen.Int[300, 6000].Select(n => (string?)Literal(new string('7', n)))),
        (1, Gen.Const((string?)null)));

    private static readonly Gen<string> Method = Gen.Frequency(
        (12, Gen.OneOf(Gen.Const("tools/call"), Gen.Const("prompts/get"), Gen.Const("resources/read"), Gen.Const("completion/complete")).Select(Literal)),
        (1, Gen.Const(Literal("no/such/method"))),
        (1, Gen.Int[257, 3000].Select(n => Literal("tools/" + new string('c', n)))),
        (1, StringToken),
        (1, Gen.Const("42")));

    /// <summary>A tool or prompt name or a URI: real, unknown, long, with control characters or broken Unicode, or not a string.</summary>
    private static readonly Gen<string> Name = Gen.Frequency(
        (6, Gen.OneOf(Gen.Const(Tool), Gen.Const(Resource)).Select(Literal)),
        (3, StringToken),
        (1, Gen.Int[2000, 3000].Select(n => Literal(new string('n', n)))),
        (1, NumberToken));

    /// <summary>Nested arrays and objects <paramref name="depth"/> levels deep around a value.</summary>
    private static string Nest(int depth, string inner) =>
        depth == 0 ? inner : (depth % 2 == 0 ? "{\"d\":" + Nest(depth - 1, inner) + "}" : "[" + Nest(depth - 1, inner) + "]");

    private static readonly Gen<string> Arguments = Gen.Frequency(
        (6, Gen.Select(PlainText, Scalar).Select((key, value) => $"{{{Literal(key)}:{value}}}")),
        (2, Gen.Int[1, 140].Select(depth => "{\"deep\":" + Nest(depth, "1") + "}")),
        (2, Gen.Int[1000, 40_000].Select(n => $"{{\"big\":{Literal(new string('b', n))}}}")),
        (1, NumberToken.Select(n => $"{{\"n\":{n}}}")),
        (1, Scalar));

    private static readonly Gen<string> Meta = Gen.Frequency(
        (3, Scalar.Select(token => $"{{\"progressToken\":{token}}}")),
        (1, Gen.Int[4000, 5000].Select(n => $"{{\"progressToken\":{Literal(new string('p', n))}}}")),
        (1, Gen.Int[1000, 80_000].Select(n => $"{{\"x\":{Literal(new string('m', n))}}}")),
        (1, Scalar));

    /// <summary>Params for the method: its name or URI (or a completion reference), maybe arguments and <c>_meta</c>.</summary>
    private static readonly Gen<string?> Params = Gen.Frequency(
        (10, Gen.Select(Gen.Int[0, 3], Name, Maybe(Arguments), Maybe(Meta)).Select((shape, name, arguments, meta) =>
        {
            var members = new List<string>();
            switch (shape)
            {
                case 0:
                    members.Add("\"name\":" + name);
                    break;
                case 1:
                    members.Add("\"uri\":" + name);
                    break;
                case 2:
                    members.Add($"\"ref\":{{\"type\":\"ref/prompt\",\"name\":{name}}},\"argument\":{{\"name\":\"a\",\"value\":\"\"}}");
                    break;
                default:
                    members.Add($"\"ref\":{{\"type\":\"ref/resource\",\"uri\":{name}}}");
                    break;
            }

            if (arguments is not null)
            {
                members.Add("\"arguments\":" + arguments);
            }

            if (meta is not null)
            {
                members.Add("\"_meta\":" + meta);
            }

            return (string?)("{" + string.Join(",", members) + "}");
        })),
        (1, Scalar.Select(s => (string?)s)),
        (1, Gen.Const((string?)null)));

    private static readonly Gen<string> Version = Gen.Frequency(
        (12, Gen.Const("\"2.0\"")),
        (1, Gen.OneOf(Gen.Const("\"1.0\""), Gen.Const("2.0"), Gen.Const("null"), Gen.Const("\"2.0\\u0000\""))));

    /// <summary>One message object; sometimes without its version, or with a duplicated member.</summary>
    private static readonly Gen<string> Message = Gen.Select(Version, Id, Method, Params, Gen.Int[0, 9]).Select((version, id, method, parameters, twist) =>
    {
        var members = new List<string>();
        if (twist != 0)
        {
            members.Add("\"jsonrpc\":" + version);
        }

        if (id is not null)
        {
            members.Add("\"id\":" + id);
        }

        members.Add("\"method\":" + method);
        if (parameters is not null)
        {
            members.Add("\"params\":" + parameters);
        }

        return "{" + string.Join(",", members) + "}";
    });

    /// <summary>A whole body: a message, a batch, a non-object, truncated JSON, or bytes.</summary>
    public static readonly Gen<byte[]> Body = Gen.Frequency(
        (14, Message.Select(Encoding.UTF8.GetBytes)),
        (2, Message.Array[0, 4].Select(batch => Encoding.UTF8.GetBytes("[" + string.Join(",", batch) + "]"))),
        (1, Gen.Select(Message, Gen.Double[0, 1]).Select((m, cut) => Encoding.UTF8.GetBytes(m[..(int)(m.Length * cut)]))),
        (1, Gen.OneOf(Gen.Const("42"), Gen.Const("\"tools/call\""), Gen.Const("null"), Gen.Const("[]"), Gen.Const("{}")).Select(Encoding.UTF8.GetBytes)),
        (1, Gen.Byte.Array[0, 64]),
        (1, Gen.Const<byte[]>([.. "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"x\":\""u8, 0xff, 0xfe, .. "\"}}}"u8])));

    private static string Literal(string text) => JsonSerializer.Serialize(text);

    private static Gen<string?> Maybe(Gen<string> gen) => Gen.Frequency((2, gen.Select(s => (string?)s)), (1, Gen.Const((string?)null)));
}
