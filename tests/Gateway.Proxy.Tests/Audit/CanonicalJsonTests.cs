using System.Text;
using System.Text.Json;
using Gateway.Proxy.Audit;

namespace Gateway.Proxy.Tests.Audit;

public sealed class CanonicalJsonTests
{
    [Fact]
    public void KeyOrderAndWhitespaceDoNotChangeTheHash()
    {
        var a = Parse("""{"b":{"y":1,"x":[2,{"q":null,"p":"v"}]},"a":true}""");
        var b = Parse("""
            {
              "a": true,
              "b": { "x": [2, { "p": "v", "q": null }], "y": 1 }
            }
            """);

        Assert.Equal(CanonicalJson.Sha256(a), CanonicalJson.Sha256(b));
    }

    [Fact]
    public void CanonicalFormSortsKeysOrdinallyAndDropsWhitespace()
    {
        var canonical = CanonicalJson.Serialize(Parse("""{ "b": "é", "B": 1, "a": [ 1.50, "x" ] }"""));

        Assert.Equal("""{"B":1,"a":[1.50,"x"],"b":"é"}""", Encoding.UTF8.GetString(canonical));
    }

    [Fact]
    public void DifferentValuesGiveDifferentHashes()
    {
        Assert.NotEqual(CanonicalJson.Sha256(Parse("""{"a":1}""")), CanonicalJson.Sha256(Parse("""{"a":2}""")));
    }

    [Fact]
    public void HashIsLowerCaseHexSha256OfTheCanonicalBytes()
    {
        var hash = CanonicalJson.Sha256(Parse("""{ "a" : 1 }"""));

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("""{"a":1}"""u8)), hash);
    }

    [Fact]
    public void EscapedAndLiteralStringsAreTheSameValue()
    {
        var escaped = CanonicalJson.Serialize(Parse("""{"s":"caf\u00e9 \"q\" \/","n":{"k":"\u0041"}}"""));
        var literal = CanonicalJson.Serialize(Parse("""{"n":{"k":"A"},"s":"café \"q\" /"}"""));

        Assert.Equal(Encoding.UTF8.GetString(literal), Encoding.UTF8.GetString(escaped));
        Assert.Equal("""{"n":{"k":"A"},"s":"café \"q\" /"}""", Encoding.UTF8.GetString(escaped));
    }

    [Fact]
    public void HashGivesTheCanonicalTextOnlyWhenAsked()
    {
        var arguments = Parse("""{ "b": [true, null], "a": -0.0e1 }""");

        var (hash, text) = CanonicalJson.Hash(arguments, withText: true);
        var (sameHash, noText) = CanonicalJson.Hash(arguments, withText: false);

        Assert.Equal("""{"a":-0.0e1,"b":[true,null]}""", text);
        Assert.Equal(hash, sameHash);
        Assert.Equal(CanonicalJson.Sha256(arguments), hash);
        Assert.Null(noText);
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
