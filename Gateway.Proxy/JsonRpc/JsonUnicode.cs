using System.Buffers.Text;
using System.Text.Unicode;

namespace Gateway.Proxy.JsonRpc;

/// <summary>
/// Whether a JSON text holds only Unicode the gateway can decode and forward. <see cref="System.Text.Json"/> parses
/// invalid UTF-8 inside strings and lone surrogate escapes (<c>"\ud800"</c>) without complaint, then throws the moment
/// such a string is read or re-written: in routing, in the audit hash, or while forwarding, where it would look like a
/// backend failure. I-JSON (RFC 7493) forbids both, so the edge refuses them as parse errors.
/// </summary>
internal static class JsonUnicode
{
    /// <summary>
    /// True when <paramref name="json"/> is valid UTF-8 and every <c>\u</c> escape of a surrogate is half of a pair.
    /// Allocation-free; only backslashes are visited, so text without escapes costs one vectorized pass.
    /// </summary>
    /// <remarks>Expects text the JSON reader accepted, so a backslash is always a complete escape inside a string.</remarks>
    public static bool IsValid(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
        {
            return false;
        }

        var pendingHigh = false;
        var position = 0;
        while (true)
        {
            var next = json[position..].IndexOf((byte)'\\');
            if (next < 0)
            {
                return !pendingHigh;
            }

            var escape = position + next;
            // A high surrogate escape must be followed at once by a low one; anything else between them breaks the pair.
            if (pendingHigh && next != 0)
            {
                return false;
            }

            if (escape + 1 >= json.Length)
            {
                return false;
            }

            if (json[escape + 1] != (byte)'u')
            {
                if (pendingHigh)
                {
                    return false;
                }

                position = escape + 2;
                continue;
            }

            if (escape + 6 > json.Length || !Utf8Parser.TryParse(json.Slice(escape + 2, 4), out ushort unit, out var consumed, 'X') || consumed != 4)
            {
                return false;
            }

            var c = (char)unit;
            if (char.IsHighSurrogate(c))
            {
                if (pendingHigh)
                {
                    return false;
                }

                pendingHigh = true;
            }
            else if (char.IsLowSurrogate(c))
            {
                if (!pendingHigh)
                {
                    return false;
                }

                pendingHigh = false;
            }
            else if (pendingHigh)
            {
                return false;
            }

            position = escape + 6;
        }
    }
}
