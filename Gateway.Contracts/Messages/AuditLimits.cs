using System.Security.Cryptography;
using System.Text;

namespace Gateway.Contracts.Messages;

/// <summary>
/// The one set of limits on an <see cref="AuditEvent"/>'s text: the audit service refuses an event beyond them
/// (<see cref="AuditEventValidator"/>), publishers <see cref="Bound"/> what they cannot refuse, and the proxy's edge
/// refuses a request whose fields could not be recorded. Changing a limit here changes all three at once.
/// </summary>
public static class AuditLimits
{
    /// <summary>Longest identifier-like field (source, request id, method, status, backend, client, user).</summary>
    public const int MaxNameLength = 256;

    /// <summary>Longest target: tool name, resource URI or prompt name.</summary>
    public const int MaxTargetLength = 2048;

    /// <summary>Longest free-text detail.</summary>
    public const int MaxDetailLength = 8 * 1024;

    /// <summary>Longest raw arguments (only stored when a deployment opts in).</summary>
    public const int MaxArgumentsLength = 64 * 1024;

    /// <summary>
    /// Most attempts one LLM request may list: a model maps to a handful of provider targets; more means a
    /// publisher's bug, and each attempt costs three names of storage.
    /// </summary>
    public const int MaxLlmAttempts = 16;

    /// <summary>What <see cref="Bound"/> puts between the kept prefix and the hash: <c>…sha256:</c> + 64 hex digits.</summary>
    private const string HashMarker = "\u2026sha256:";

    private const int HashSuffixLength = 8 + 64;

    /// <summary>
    /// Whether <paramref name="value"/> may be stored as it is: within <paramref name="maxLength"/> UTF-16 code units,
    /// no NUL (PostgreSQL refuses it in text) and no lone surrogate (no UTF-8 encoder, JSON writer or database stores
    /// it faithfully).
    /// </summary>
    public static bool Fits(string? value, int maxLength) =>
        value is null || value.Length <= maxLength && IsStorable(value);

    /// <summary>Whether the text has neither NUL nor a lone surrogate.</summary>
    public static bool IsStorable(ReadOnlySpan<char> value)
    {
        if (value.Contains('\0'))
        {
            return false;
        }

        // Surrogates are rare in real text: find the first, then check pairs from there.
        var i = value.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return true;
        }

        for (; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <paramref name="value"/> made storable without losing who it was: unchanged when it <see cref="Fits"/>;
    /// otherwise NUL and lone surrogates become U+FFFD, and a value still too long keeps its start followed by
    /// <c>…sha256:</c> and the hex SHA-256 of the whole original (UTF-8), so two long values stay distinguishable and
    /// an auditor can match the original. Never longer than <paramref name="maxLength"/>.
    /// </summary>
    public static string? Bound(string? value, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, HashSuffixLength + 1);
        if (Fits(value, maxLength))
        {
            return value;
        }

        var clean = Scrub(value!);
        if (clean.Length <= maxLength)
        {
            return clean;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(value!), hash);
        var keep = maxLength - HashSuffixLength;
        // Never split a surrogate pair: half of one is exactly what this method removes.
        if (char.IsHighSurrogate(clean[keep - 1]))
        {
            keep--;
        }

        return string.Concat(clean.AsSpan(0, keep), HashMarker, Convert.ToHexStringLower(hash));
    }

    private static string Scrub(string value)
    {
        if (IsStorable(value))
        {
            return value;
        }

        var chars = value.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] == '\0')
            {
                chars[i] = '\uFFFD';
            }
            else if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }
}
