using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gateway.Proxy.Tests.Fakes;

/// <summary>A bare Streamable HTTP client that shows every status, header and message.</summary>
internal sealed class McpTestClient(HttpClient http)
{
    public string? SessionId { get; set; }

    public string? ProtocolVersion { get; set; }

    public HttpClient Http => http;

    public static HttpRequestMessage Post(string body, string accept = "application/json, text/event-stream")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        if (SessionId is not null && !request.Headers.Contains("Mcp-Session-Id"))
        {
            request.Headers.Add("Mcp-Session-Id", SessionId);
        }

        if (ProtocolVersion is not null && !request.Headers.Contains("MCP-Protocol-Version"))
        {
            request.Headers.Add("MCP-Protocol-Version", ProtocolVersion);
        }

        return await http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostAsync(string body, string accept = "application/json, text/event-stream") => SendAsync(Post(body, accept));

    public async Task<JsonElement> InitializeAsync(string version = "2025-11-25")
    {
        using var response = await PostAsync(
            """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":""" + JsonSerializer.Serialize(version)
            + ""","capabilities":{"elicitation":{}},"clientInfo":{"name":"test","version":"1"}}}""");
        response.EnsureSuccessStatusCode();
        SessionId = response.Headers.GetValues("Mcp-Session-Id").Single();
        var result = (await ReadMessagesAsync(response)).Single();
        ProtocolVersion = result.GetProperty("result").GetProperty("protocolVersion").GetString();
        using var initialized = await PostAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        return result;
    }

    /// <summary>Sends a request and returns every message of the answer (SSE events in order, or the one JSON body).</summary>
    public async Task<List<JsonElement>> RequestAllAsync(string method, string parameters = "{}", int id = 1)
    {
        using var response = await PostAsync($$"""{"jsonrpc":"2.0","id":{{id}},"method":"{{method}}","params":{{parameters}}}""");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await ReadMessagesAsync(response);
    }

    /// <summary>The response message of a request (the last message of its answer).</summary>
    public async Task<JsonElement> RequestAsync(string method, string parameters = "{}", int id = 1) =>
        (await RequestAllAsync(method, parameters, id))[^1];

    public static async Task<List<JsonElement>> ReadMessagesAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            return [JsonDocument.Parse(body).RootElement.Clone()];
        }

        return body.Split("\n")
            .Where(line => line.StartsWith("data: ", StringComparison.Ordinal))
            .Select(line => JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone())
            .ToList();
    }
}
