using Gateway.AuditService.Api;
using Gateway.AuditService.Storage;

namespace Gateway.AuditService.Tests.Api;

public sealed class AuditCursorTests
{
    [Fact]
    public void A_cursor_survives_its_text_form()
    {
        var cursor = new AuditCursor(1_793_000_000_123_456, Guid.NewGuid());

        Assert.True(AuditCursor.TryParse(cursor.Encode(), out var parsed));
        Assert.Equal(cursor, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a cursor")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Anything_else_is_not_a_cursor(string text) => Assert.False(AuditCursor.TryParse(text, out _));

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    [InlineData("00:05:00", 300)]
    public void Stats_windows_read_as_durations(string text, int seconds)
    {
        Assert.True(AuditApi.TryParseWindow(text, out var window));
        Assert.Equal(TimeSpan.FromSeconds(seconds), window);
    }
}
