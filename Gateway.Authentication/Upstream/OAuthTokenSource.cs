using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Authentication.Upstream;

/// <summary>
/// Access tokens the gateway obtains with the OAuth client credentials grant, or by exchanging a user's token
/// (RFC 8693), one per (token endpoint, client, scopes, resource, user token), cached until <see cref="BackendCredentialOptions.RefreshBeforeExpiry"/> before they
/// expire; concurrent callers wait for one request rather than each asking.
/// </summary>
public sealed partial class OAuthTokenSource(IHttpClientFactory clients, TimeProvider time, ILogger<OAuthTokenSource> logger)
{
    public const string HttpClientName = "gateway-credentials";

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>Most cached tokens: past it, the cache starts over (one grant per slot again).</summary>
    private const int MaxSlots = 10_000;

    /// <summary>
    /// The gateway's token for <paramref name="credential"/>: its own (client credentials), or, given
    /// <paramref name="subjectToken"/>, one exchanged for it on that user's behalf (RFC 8693), cached per user token.
    /// </summary>
    public async ValueTask<string> GetAsync(BackendCredentialOptions credential, string secret, string? subjectToken, CancellationToken cancellationToken)
    {
        var key = $"{credential.TokenEndpoint}|{credential.ClientId}|{string.Join(' ', credential.Scopes)}|{credential.Resource}|{subjectToken}";
        if (_slots.Count >= MaxSlots)
        {
            _slots.Clear();
        }

        var slot = _slots.GetOrAdd(key, static _ => new Slot());
        if (slot.Token is { } current && time.GetUtcNow() < current.RefreshAt)
        {
            return current.Value;
        }

        await slot.Gate.WaitAsync(cancellationToken);
        try
        {
            if (slot.Token is { } fresh && time.GetUtcNow() < fresh.RefreshAt)
            {
                return fresh.Value;
            }

            slot.Token = await RequestAsync(credential, secret, subjectToken, cancellationToken);
            return slot.Token.Value;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private async Task<CachedToken> RequestAsync(BackendCredentialOptions credential, string secret, string? subjectToken, CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", subjectToken is null ? "client_credentials" : "urn:ietf:params:oauth:grant-type:token-exchange"),
            new("client_id", credential.ClientId!),
            new("client_secret", secret),
        };
        if (subjectToken is not null)
        {
            form.Add(new("subject_token", subjectToken));
            form.Add(new("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"));
        }

        if (credential.Scopes.Count > 0)
        {
            form.Add(new("scope", string.Join(' ', credential.Scopes)));
        }

        if (!string.IsNullOrEmpty(credential.Resource))
        {
            form.Add(new("resource", credential.Resource));
        }

        using var content = new FormUrlEncodedContent(form);
        using var response = await clients.CreateClient(HttpClientName).PostAsync(credential.TokenEndpoint, content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // The answer's body may echo request fields; only the status is reported.
            LogTokenRefused(logger, credential.TokenEndpoint!, credential.ClientId!, (int)response.StatusCode);
            throw new HttpRequestException($"The token endpoint refused the gateway's client '{credential.ClientId}' ({(int)response.StatusCode}).");
        }

        var answer = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken)
            ?? throw new HttpRequestException("The token endpoint answered no token.");
        if (string.IsNullOrEmpty(answer.AccessToken))
        {
            throw new HttpRequestException("The token endpoint answered no access_token.");
        }

        var lifetime = TimeSpan.FromSeconds(Math.Max(answer.ExpiresIn ?? 300, 1));
        var refreshBefore = credential.RefreshBeforeExpiry < lifetime ? credential.RefreshBeforeExpiry : lifetime / 2;
        return new CachedToken(answer.AccessToken, time.GetUtcNow() + lifetime - refreshBefore);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token endpoint {Endpoint} refused client {ClientId} with status {Status}")]
    private static partial void LogTokenRefused(ILogger logger, Uri endpoint, string clientId, int status);

    private sealed class Slot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public volatile CachedToken? Token;
    }

    private sealed record CachedToken(string Value, DateTimeOffset RefreshAt)
    {
        // Never printed with its value.
        public override string ToString() => $"token (refresh at {RefreshAt:O})";
    }

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] int? ExpiresIn);
}
