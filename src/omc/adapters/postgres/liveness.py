"""TCP liveness settings every database connection of ours carries.

A database host that vanishes without a word (a network partition, an RDS Multi-AZ
failover: the old primary never sends a FIN or RST) leaves a connection that looks
open. Without these, the kernel keeps retransmitting for about fifteen minutes
(tcp_retries2) before a blocked query fails, and an idle pooled or listening connection
is never found dead at all. With them, an idle connection is probed after 10 s of
silence and declared dead after three unanswered probes 5 s apart, and a request that
gets no acknowledgement fails after 30 s; the caller then sees UNAVAILABLE and the
next connection goes to wherever the database now is. libpq ignores them on Unix
sockets (the embedded server), where a dead peer is always noticed at once.
"""

from __future__ import annotations

from typing import Final

TCP_LIVENESS: Final[dict[str, int]] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,  # milliseconds
}
