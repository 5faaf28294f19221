using Yarp.ReverseProxy.Configuration;

// A minimal Yarp.ReverseProxy app on the LLM route: every request under /v1 goes to the provider root in
// Provider__Url, headers and bodies relayed by YARP itself (responses are streamed, so server-sent events pass as
// they arrive). bench/llm measures it beside the gateway.
var builder = WebApplication.CreateSlimBuilder(args);
var provider = new Uri(builder.Configuration["Provider:Url"] ?? throw new InvalidOperationException("Provider__Url is not set."));
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "llm", ClusterId = "provider", Match = new RouteMatch { Path = "/v1/{**rest}" } }],
    [new ClusterConfig
    {
        ClusterId = "provider",
        Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal)
        {
            ["provider"] = new() { Address = provider.GetLeftPart(UriPartial.Authority) },
        },
    }]);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
