using Gateway.IdentityServer;
using Gateway.IdentityServer.Endpoints;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAuthorizationServer();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapTokenEndpoints();

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in component tests.</summary>
public partial class Program;
