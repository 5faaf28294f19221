using Yarp.ReverseProxy.Configuration;

// A minimal Yarp.ReverseProxy app on the gateway's route: every request to /mcp goes to the one backend in
// Gateway__Backends__0__Url, headers (the MCP session id included) and bodies relayed by YARP itself. bench/run
// starts it in the gateway's place and measures it the same way.
var builder = WebApplication.CreateSlimBuilder(args);
var backend = new Uri(builder.Configuration["Gateway:Backends:0:Url"] ?? throw new InvalidOperationException("Gateway__Backends__0__Url is not set."));
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "mcp", ClusterId = "backend", Match = new RouteMatch { Path = "/mcp" } }],
    [new ClusterConfig
    {
        ClusterId = "backend",
        Destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal)
        {
            ["backend"] = new() { Address = backend.GetLeftPart(UriPartial.Authority) },
        },
    }]);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
