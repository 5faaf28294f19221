using Gateway.Authentication;
using Gateway.Proxy.Extensions;
using Gateway.Proxy.Stdio;

var stdio = StdioMode.IsRequested(args);
var builder = WebApplication.CreateBuilder(StdioMode.WithoutSwitch(args));

builder.AddServiceDefaults();
builder.AddApplicationServices(stdio);

var app = builder.Build();

app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapProtectedResourceMetadata();
app.MapAdminEndpoints();
app.MapCircuitEndpoints();
if (!stdio)
{
    app.MapMcpEndpoint();
    app.MapLlmEndpoints();
}

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in component tests.</summary>
public partial class Program;
