using Gateway.Authentication.Upstream;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Contracts.Configuration;

namespace Gateway.HealthMonitor.Probes;

/// <summary>
/// Probes an MCP server over Streamable HTTP with a JSON-RPC <c>ping</c>. The first probe initializes a session
/// (<c>initialize</c>, then <c>notifications/initialized</c>); later probes reuse its <c>Mcp-Session-Id</c> and
/// negotiated <c>MCP-Protocol-Version</c>, and initialize again when the server forgets the session (404, or 400 from
/// servers built on the TypeScript SDK).
/// Answers may come as JSON or as a server-sent event stream.
/// </summary>
public sealed class McpPingProbe(IHttpClientFactory httpClientFactory)
{
    private const string LatestProtocolVersion = "2025-06-18";
    private const string SessionHeader = "Mcp-Session-Id";
    private const string ProtocolHeader = "MCP-Protocol-Version";

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    public async Task<ProbeResult> ProbeAsync(BackendOptions backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        using var client = httpClientFactory.CreateClient(ProbeScheduler.HttpClientName);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (!_sessions.TryGetValue(backend.Name, out var session))
            {
                var initialized = await InitializeAsync(client, backend, cancellationToken);
                if (initialized.Session is null)
                {
                    return initialized.Result;
                }

                session = _sessions[backend.Name] = initialized.Session;
            }

            var (status, answer) = await PostAsync(client, backend, session, """{"jsonrpc":"2.0","id":"health-ping","method":"ping"}""", cancellationToken);
            if (status is HttpStatusCode.NotFound or HttpStatusCode.BadRequest && session.Id is not null)
            {
                // The server dropped our session (restart, expiry): start a new one. The specification says 404; the
                // TypeScript SDK's servers answer a session id they do not know with 400.
                _sessions.TryRemove(backend.Name, out _);
                continue;
            }

            return Evaluate("ping", status, answer);
        }

        return ProbeResult.Failed("ping: the server keeps rejecting new sessions");
    }

    private static async Task<(ProbeResult Result, Session? Session)> InitializeAsync(HttpClient client, BackendOptions backend, CancellationToken cancellationToken)
    {
        var initialize = JsonSerializer.Serialize(new
        {
            jsonrpc = "2.0",
            id = "health-init",
            method = "initialize",
            @params = new
            {
                protocolVersion = LatestProtocolVersion,
                capabilities = new { },
                clientInfo = new { name = "gateway-health-monitor", version = "1.0.0" },
            },
        });
        using var request = Request(backend, new Session(null, null), initialize);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var answer = await ReadAnswerAsync(response, cancellationToken);
        var version = answer is { } doc && doc.RootElement.TryGetProperty("result", out var r)
            && r.TryGetProperty("protocolVersion", out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : LatestProtocolVersion;
        var result = Evaluate("initialize", response.StatusCode, answer);
        if (!result.Success)
        {
            return (result, null);
        }

        var sessionId = response.Headers.TryGetValues(SessionHeader, out var values) ? values.FirstOrDefault() : null;
        var session = new Session(sessionId, version);
        using var notification = Request(backend, session, """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        using var acknowledged = await client.SendAsync(notification, cancellationToken);
        return acknowledged.IsSuccessStatusCode
            ? (ProbeResult.Ok, session)
            : (ProbeResult.Failed($"notifications/initialized answered {(int)acknowledged.StatusCode}"), null);
    }

    private static async Task<(HttpStatusCode Status, JsonDocument? Answer)> PostAsync(
        HttpClient client, BackendOptions backend, Session session, string body, CancellationToken cancellationToken)
    {
        using var request = Request(backend, session, body);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return (response.StatusCode, await ReadAnswerAsync(response, cancellationToken));
    }

    private static ProbeResult Evaluate(string method, HttpStatusCode status, JsonDocument? answer)
    {
        using (answer)
        {
            if ((int)status is < 200 or > 299)
            {
                return ProbeResult.Failed($"{method} answered HTTP {(int)status}");
            }

            if (answer is null)
            {
                return ProbeResult.Failed($"{method}: no JSON-RPC answer");
            }

            if (answer.RootElement.TryGetProperty("error", out var error))
            {
                return ProbeResult.Failed($"{method}: JSON-RPC error {error.GetRawText()}");
            }

            return answer.RootElement.TryGetProperty("result", out _)
                ? ProbeResult.Ok
                : ProbeResult.Failed($"{method}: answer has neither result nor error");
        }
    }

    private static HttpRequestMessage Request(BackendOptions backend, Session session, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, backend.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        // The probe client serves every backend: this names the one whose credential goes with the request.
        request.Options.Set(UpstreamCredentials.BackendOption, backend.Name);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (session.Id is not null)
        {
            request.Headers.Add(SessionHeader, session.Id);
        }

        if (session.ProtocolVersion is not null)
        {
            request.Headers.Add(ProtocolHeader, session.ProtocolVersion);
        }

        return request;
    }

    /// <summary>The JSON-RPC response in a JSON body or in the first SSE event that carries one; null if none.</summary>
    private static async Task<JsonDocument?> ReadAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentLength == 0)
        {
            return null;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                return text.Length == 0 ? null : JsonDocument.Parse(text);
            }

            foreach (var data in SseData(text))
            {
                var doc = JsonDocument.Parse(data);
                if (doc.RootElement.ValueKind == JsonValueKind.Object
                    && (doc.RootElement.TryGetProperty("result", out _) || doc.RootElement.TryGetProperty("error", out _)))
                {
                    return doc;
                }

                doc.Dispose();
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<string> SseData(string stream)
    {
        var data = new StringBuilder();
        foreach (var line in stream.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Length == 0)
            {
                if (data.Length > 0)
                {
                    yield return data.ToString();
                    data.Clear();
                }
            }
            else if (trimmed.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(trimmed.AsSpan(5).TrimStart(' '));
            }
        }

        if (data.Length > 0)
        {
            yield return data.ToString();
        }
    }

    private sealed record Session(string? Id, string? ProtocolVersion);
}
