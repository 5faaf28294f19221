using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authentication;

namespace Gateway.Authentication.Bearer;

/// <summary>
/// Tokens already validated, until they expire: a token's signature is checked once, and each later call with it is a
/// lookup by the header's characters, which allocates nothing. Bounded: past <see cref="Capacity"/> tokens the expired
/// ones go, and if that is not enough, all (the next call of each pays one validation again).
/// </summary>
public sealed class ValidatedTokenCache(TimeProvider time)
{
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The result of a token validated before and not expired, as a completed task (shared, so a hit allocates nothing).</summary>
    public bool TryGet(ReadOnlySpan<char> token, out Task<AuthenticateResult> result)
    {
        if (_entries.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(token, out var entry)
            && time.GetUtcNow() < entry.ExpiresAt)
        {
            result = entry.Result;
            return true;
        }

        result = null!;
        return false;
    }

    public void Add(string token, AuthenticateResult result, DateTimeOffset expiresAt)
    {
        if (_entries.Count >= Capacity)
        {
            var now = time.GetUtcNow();
            foreach (var (key, entry) in _entries)
            {
                if (entry.ExpiresAt <= now)
                {
                    _entries.TryRemove(key, out _);
                }
            }

            if (_entries.Count >= Capacity)
            {
                _entries.Clear();
            }
        }

        _entries[token] = new Entry(Task.FromResult(result), expiresAt);
    }

    public void Clear() => _entries.Clear();

    private sealed record Entry(Task<AuthenticateResult> Result, DateTimeOffset ExpiresAt);
}
