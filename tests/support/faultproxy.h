/* A TCP proxy for fault tests, on loopback: the library connects to it, it connects to
   the server, and in between it can delay, stall, cut or blackhole the traffic (as
   asyncpg's and pgx's suites do). One thread, poll(); at most FPROXY_MAX_PAIRS
   connections; each direction buffers at most 4 MiB (then stops reading: backpressure).
   Every setting applies from the moment it is made, to every connection. */
#ifndef CERD_FAULTPROXY_H
#define CERD_FAULTPROXY_H

#include <stdbool.h>

#define FPROXY_MAX_PAIRS 64

typedef struct fproxy fproxy;

/* Starts a proxy listening on 127.0.0.1 (an ephemeral port) that forwards to
   host:port (host NULL or "": 127.0.0.1... or the host named by PGHOST). 0 or -1. */
int fproxy_start(fproxy **out, const char *host, int port);

/* Stops the thread and closes every socket. Accepts NULL. */
void fproxy_stop(fproxy *p);

/* The port it listens on, and a conninfo fragment "host=127.0.0.1 port=N". */
int fproxy_port(const fproxy *p);
const char *fproxy_conninfo(const fproxy *p);

/* Delays every chunk by ms in each direction (a round trip gains 2 * ms). 0: none. */
void fproxy_set_latency(fproxy *p, int ms);

/* Stops forwarding in both directions (nothing read, nothing written: the kernel's
   buffers fill) until called again with false. */
void fproxy_stall(fproxy *p, bool on);

/* Blackhole: existing and new connections are read and their bytes dropped; nothing is
   forwarded or answered (new connections are accepted but never connected onwards). */
void fproxy_blackhole(fproxy *p, bool on);

/* Mutes the server: what the client sends is forwarded (the server acts on it), what the
   server sends is read and dropped, on existing and new connections: a reply lost on
   the way while TCP stays healthy. */
void fproxy_mute_server(fproxy *p, bool on);

/* Mutes the server (as fproxy_mute_server) from the chunk of the client that contains
   needle on: that chunk and what follows reach the server, no answer comes back. */
void fproxy_mute_server_on_client_text(fproxy *p, const char *needle);

/* Cuts (closes both sides of) the connection that has forwarded n more bytes from the
   server to the client, counted from this call: the client gets exactly n bytes. */
void fproxy_cut_after_server_bytes(fproxy *p, long n);

/* Cuts the connection that has forwarded n more bytes from the client to the server. */
void fproxy_cut_after_client_bytes(fproxy *p, long n);

/* Cuts the connection whose client sends a chunk containing needle (binary-safe up to
   its NUL); forward_first: the chunk reaches the server first (the server may act on
   it), else it is dropped. */
void fproxy_cut_on_client_text(fproxy *p, const char *needle, bool forward_first);

/* Number of connections cut so far; of connections open now. */
int fproxy_cuts(fproxy *p);
int fproxy_open_pairs(fproxy *p);

#endif
