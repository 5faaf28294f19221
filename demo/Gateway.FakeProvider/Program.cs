using Gateway.FakeProvider;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddFakeProvider(builder.Configuration);

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapFakeProvider();

app.Run();

/// <summary>Kept internal: test projects reference this project for its in-process server and name the proxy's Program.</summary>
internal sealed partial class Program;
