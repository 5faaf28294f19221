using System.Diagnostics;
using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Audit;

/// <summary>
/// An audit event waiting in the <see cref="AuditBuffer"/>, with the span of the call that recorded it, so the batch
/// that later carries it to the bus can continue that call's trace. A struct: the queue holds it inline, and queueing
/// allocates nothing on the call's path.
/// </summary>
/// <param name="Event">The event itself.</param>
/// <param name="Caller">The recording call's span context; <c>default</c> when the call was not traced.</param>
/// <param name="JournalNumber">Its number in the <see cref="AuditJournal"/>; 0 when it was not journaled.</param>
public readonly record struct QueuedAuditEvent(AuditEvent Event, ActivityContext Caller, long JournalNumber = 0);
