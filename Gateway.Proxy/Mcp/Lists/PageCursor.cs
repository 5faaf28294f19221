using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Gateway.Proxy.Mcp.Lists;

/// <summary>The opaque <c>cursor</c> of the merged lists: an offset into the caller's visible items.</summary>
internal static class PageCursor
{
    public static string Encode(int offset) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("o:" + offset.ToString(CultureInfo.InvariantCulture)));

    public static bool TryDecode(string cursor, out int offset)
    {
        offset = 0;
        Span<byte> bytes = stackalloc byte[64];
        return cursor.Length <= 64
            && Convert.TryFromBase64String(cursor, bytes, out var length)
            && length > 2 && bytes[0] == (byte)'o' && bytes[1] == (byte)':'
            && Utf8Parser.TryParse(bytes[2..length], out offset, out var consumed)
            && consumed == length - 2
            && offset >= 0;
    }
}
