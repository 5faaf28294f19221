using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Llm.Requests;
using Gateway.Proxy.Llm.Routing;

namespace Gateway.Proxy.Tests.Llm;

public sealed class LlmRequestBodyTests
{
    private static readonly Gen<JsonNode?> Value = Gen.OneOf<JsonNode?>(
        Gen.String.Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Double.Where(double.IsFinite).Select(d => (JsonNode?)JsonValue.Create(d)),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Const((JsonNode?)null));

    private static readonly Gen<string> Body = Gen.Select(
            Gen.String[1, 20].Where(s => s.Length > 0),
            Gen.Select(Gen.String[1, 10], Value).Array[0, 6],
            Gen.Int[0, 5],
            Gen.Int[0, 2])
        .Select((model, extras, streamShape, position) =>
        {
            var node = new JsonObject();
            var fields = extras.Where(e => e.Item1 is not ("model" or "stream" or "stream_options")).DistinctBy(e => e.Item1).ToList();
            foreach (var (name, value) in fields.Take(position))
            {
                node[name] = value?.DeepClone();
            }

            node["model"] = model;
            switch (streamShape)
            {
                case 1: node["stream"] = true; break;
                case 2: node["stream"] = true; node["stream_options"] = new JsonObject(); break;
                case 3: node["stream"] = true; node["stream_options"] = new JsonObject { ["include_usage"] = false, ["other"] = 1 }; break;
                case 4: node["stream"] = true; node["stream_options"] = null; break;
                case 5: node["stream"] = true; node["stream_options"] = new JsonObject { ["include_usage"] = true }; break;
            }

            foreach (var (name, value) in fields.Skip(position))
            {
                node[name] = value?.DeepClone();
            }

            return node.ToJsonString();
        });

    [Fact]
    public void The_body_for_a_target_is_the_clients_with_only_the_model_and_usage_changed()
    {
        Body.Sample(json =>
        {
            var body = LlmRequestBody.TryParse(Encoding.UTF8.GetBytes(json), out var error);
            Assert.NotNull(body);
            Assert.Null(error);

            var sent = JsonNode.Parse(body.ForTarget("up/model-1", requestUsage: true))!.AsObject();
            var expected = JsonNode.Parse(json)!.AsObject();
            expected["model"] = "up/model-1";
            if (body.Stream)
            {
                var options = expected["stream_options"] as JsonObject ?? new JsonObject();
                expected["stream_options"] = options;
                options["include_usage"] = true;
            }

            Assert.True(JsonNode.DeepEquals(expected, sent), $"{json}\n{sent.ToJsonString()}");
            Assert.Equal(body.Stream && JsonNode.Parse(json)!["stream_options"]?["include_usage"]?.GetValue<bool>() == true, body.ClientAskedForUsage);
        });
    }

    [Fact]
    public void Bytes_outside_the_model_are_relayed_exactly_as_sent()
    {
        const string json = "{\n  \"a\" : 1.50e0,\"model\" :\"m\", \"u\":\"\\u00e9\" }";

        var body = LlmRequestBody.TryParse(Encoding.UTF8.GetBytes(json), out _)!;

        Assert.Equal("{\n  \"a\" : 1.50e0,\"model\" :\"other\", \"u\":\"\\u00e9\" }", Encoding.UTF8.GetString(body.ForTarget("other", requestUsage: true)));
    }

    [Fact]
    public void Generated_garbage_is_refused_with_a_message_never_an_exception()
    {
        Gen.Byte.Array[0, 80].Sample(bytes =>
        {
            var body = LlmRequestBody.TryParse(bytes, out var error);
            Assert.True(body is not null || !string.IsNullOrEmpty(error));
        });
    }

    [Fact]
    public void Targets_are_ordered_by_priority_and_spread_by_weight_within_one()
    {
        var route = new ModelRoute("m",
        [
            new RouteTarget("late", ProviderKind.OpenAI, "m", 1, 1),
            new RouteTarget("heavy", ProviderKind.OpenAI, "m", 0, 3),
            new RouteTarget("light", ProviderKind.OpenAI, "m", 0, 1),
            new RouteTarget("other-api", ProviderKind.Anthropic, "m", 0, 1),
        ]);
        var random = new Random(7);

        var firsts = Enumerable.Range(0, 4000).Select(_ => route.OrderFor(ProviderKind.OpenAI, random)).ToList();

        Assert.All(firsts, order => Assert.Equal("late", order[^1].Provider));
        Assert.All(firsts, order => Assert.Equal(3, order.Length));
        var heavyShare = firsts.Count(o => o[0].Provider == "heavy") / 4000.0;
        Assert.InRange(heavyShare, 0.70, 0.80);
    }
}
