using System.Net;
using System.Net.Sockets;

namespace Gateway.AppHost.Orchestration;

/// <summary>
/// Gives every endpoint a loopback port: the stable port when stable ports are wanted (the user's bookmarks and
/// scripts rely on it, so a taken one is a conflict reported at start, not a silent change), otherwise one the
/// kernel reports free. Never hands out the same port twice in one run.
/// </summary>
public sealed class PortAllocator(Func<int, bool> isFree)
{
    private readonly HashSet<int> _given = [];
    private readonly List<string> _conflicts = [];

    public PortAllocator()
        : this(IsLoopbackPortFree)
    {
    }

    /// <summary>One line per stable port that was already taken, naming the setting that moves it.</summary>
    public IReadOnlyList<string> Conflicts => _conflicts;

    /// <summary>Returns <paramref name="stablePort"/> if given (recording a conflict if it is taken), else a free port.</summary>
    public int Allocate(string owner, int? stablePort)
    {
        if (stablePort is { } port)
        {
            if (!_given.Add(port) || !isFree(port))
            {
                _conflicts.Add(
                    $"Port {port} for {owner} is in use: stop what listens there, or set AppHost:Ports:{owner}=<port> (or AppHost:RandomPorts=true).");
            }

            return port;
        }

        while (true)
        {
            var candidate = FreePort();
            if (_given.Add(candidate))
            {
                return candidate;
            }
        }
    }

    public static bool IsLoopbackPortFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
