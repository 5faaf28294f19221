using System.Runtime.InteropServices;

namespace Gateway.AppHost.Hosting;

/// <summary>POSIX signals sent to process groups. Every child runs in its own group, so one call reaches all it forked.</summary>
public static partial class Signals
{
    public const int Interrupt = 2;
    public const int Kill = 9;
    public const int Terminate = 15;

    /// <summary>Sends <paramref name="signal"/> to every process of group <paramref name="groupId"/>; false if none is left.</summary>
    public static bool SendToGroup(int groupId, int signal) => NativeKill(-groupId, signal) == 0;

    /// <summary>Whether any process (zombies included) is still in the group.</summary>
    public static bool GroupExists(int groupId) => NativeKill(-groupId, 0) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeKill(int pid, int signal);
}
