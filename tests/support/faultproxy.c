/* The fault-injecting TCP proxy of faultproxy.h. */
#include "faultproxy.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define QUEUE_CAP (4L << 20)

typedef struct chunk {
    struct chunk *next;
    int64_t due_ns;
    size_t len, off;
    char data[];
} chunk;

typedef struct dir {    /* one direction: bytes read from src, queued for dst */
    chunk *head, *tail;
    long queued;
} dir;

typedef struct pair {
    int cfd, sfd;      /* client side, server side (-1: none) */
    dir to_server, to_client;
} pair;

struct fproxy {
    pthread_t thread;
    pthread_mutex_t lock;
    int lfd, port;
    char target_host[256];
    int target_port;
    char conninfo[64];
    bool stop;
    /* settings, under lock */
    int latency_ms;
    bool stalled, blackhole, mute_server;
    long cut_server_left, cut_client_left; /* -1: off */
    char needle[64];
    bool needle_forward, needle_mute;
    int cuts, open;
    pair pairs[FPROXY_MAX_PAIRS];
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void dir_free(dir *d)
{
    while (d->head) {
        chunk *c = d->head;
        d->head = c->next;
        free(c);
    }
    d->tail = NULL;
    d->queued = 0;
}

static void pair_close(fproxy *p, pair *pr, bool cut)
{
    if (pr->cfd < 0)
        return;
    close(pr->cfd);
    if (pr->sfd >= 0)
        close(pr->sfd);
    pr->cfd = pr->sfd = -1;
    dir_free(&pr->to_server);
    dir_free(&pr->to_client);
    p->open--;
    if (cut)
        p->cuts++;
}

static int connect_target(const fproxy *p)
{
    int fd = -1;

    if (p->target_host[0] == '/') {
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        if ((size_t)snprintf(un.sun_path, sizeof un.sun_path, "%.80s/.s.PGSQL.%d",
                             p->target_host, p->target_port) >= sizeof un.sun_path)
            return -1;
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof un)) {
            close(fd);
            fd = -1;
        }
    } else {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL, *a;
        char port[16];
        snprintf(port, sizeof port, "%d", p->target_port);
        if (getaddrinfo(p->target_host, port, &hints, &res))
            return -1;
        for (a = res; a && fd < 0; a = a->ai_next) {
            fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
            if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen)) {
                close(fd);
                fd = -1;
            }
        }
        freeaddrinfo(res);
    }
    if (fd >= 0)
        set_nonblock(fd);
    return fd;
}

static const char *find_bytes(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m && i + m <= n; i++)
        if (!memcmp(hay + i, needle, m))
            return hay + i;
    return NULL;
}

/* Reads what src has into d (or drops it in blackhole mode). Returns false when the
   pair must close (EOF, error, a cut). */
static bool pump_in(fproxy *p, pair *pr, int src, dir *d, bool from_client)
{
    char buf[CHUNK];
    ssize_t n = read(src, buf, sizeof buf);
    chunk *c;

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return false;
    if (n < 0)
        return true;
    if (p->blackhole || (p->mute_server && !from_client))
        return true;
    if (from_client && p->needle[0] && p->needle_mute && find_bytes(buf, (size_t)n, p->needle)) {
        p->needle[0] = '\0';
        p->mute_server = true; /* this chunk still goes to the server */
    } else if (from_client && p->needle[0] && find_bytes(buf, (size_t)n, p->needle)) {
        bool forward = p->needle_forward;
        p->needle[0] = '\0';
        if (forward && pr->sfd >= 0) {
            /* the chunk goes out now (blocking), then the connection is cut */
            size_t off = 0;
            while (d->head) { /* earlier bytes first */
                chunk *h = d->head;
                ssize_t w = write(pr->sfd, h->data + h->off, h->len - h->off);
                if (w < 0 && errno != EAGAIN && errno != EINTR)
                    break;
                if (w > 0 && (h->off += (size_t)w) == h->len) {
                    d->head = h->next;
                    free(h);
                }
            }
            while (off < (size_t)n) {
                ssize_t w = write(pr->sfd, buf + off, (size_t)n - off);
                if (w < 0 && errno != EAGAIN && errno != EINTR)
                    break;
                if (w > 0)
                    off += (size_t)w;
            }
            nanosleep(&(struct timespec){0, 50000000}, NULL); /* let the server read it */
        }
        pair_close(p, pr, true);
        return true; /* already closed */
    }
    if (!(c = malloc(sizeof *c + (size_t)n)))
        return false;
    c->next = NULL;
    c->due_ns = now_ns() + (int64_t)p->latency_ms * 1000000;
    c->len = (size_t)n;
    c->off = 0;
    memcpy(c->data, buf, (size_t)n);
    if (d->tail)
        d->tail->next = c;
    else
        d->head = c;
    d->tail = c;
    d->queued += n;
    return true;
}

/* Writes the due chunks of d to dst; applies the byte-count cuts. */
static bool pump_out(fproxy *p, pair *pr, int dst, dir *d, bool to_client)
{
    int64_t now = now_ns();

    while (d->head && d->head->due_ns <= now) {
        chunk *c = d->head;
        size_t len = c->len - c->off;
        long *left = to_client ? &p->cut_server_left : &p->cut_client_left;
        bool cut = false;
        ssize_t w;

        if (*left >= 0 && (long)len >= *left) {
            len = (size_t)*left;
            cut = true;
        }
        w = len ? write(dst, c->data + c->off, len) : 0;
        if (w < 0)
            return errno == EAGAIN || errno == EINTR;
        if (*left >= 0)
            *left -= w;
        if (cut && (size_t)w == len) {
            *left = -1;
            pair_close(p, pr, true);
            return true;
        }
        c->off += (size_t)w;
        d->queued -= w;
        if (c->off < c->len)
            return true; /* dst is full */
        d->head = c->next;
        if (!d->head)
            d->tail = NULL;
        free(c);
    }
    return true;
}

static void *run(void *arg)
{
    fproxy *p = arg;
    struct pollfd pfd[1 + 2 * FPROXY_MAX_PAIRS];
    int who[1 + 2 * FPROXY_MAX_PAIRS];

    for (;;) {
        int n = 0, timeout = 20;
        int64_t now = now_ns();

        pthread_mutex_lock(&p->lock);
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            break;
        }
        pfd[n].fd = p->lfd;
        pfd[n].events = POLLIN;
        who[n++] = -1;
        for (int i = 0; i < FPROXY_MAX_PAIRS; i++) {
            pair *pr = &p->pairs[i];
            if (pr->cfd < 0)
                continue;
            for (int side = 0; side < 2; side++) {
                int fd = side ? pr->sfd : pr->cfd;
                dir *in = side ? &pr->to_client : &pr->to_server;  /* read from fd into */
                dir *out = side ? &pr->to_server : &pr->to_client; /* write to fd from */
                short ev = 0;
                if (fd < 0)
                    continue;
                if (!p->stalled
                    && (p->blackhole || (p->mute_server && side == 1) || in->queued < QUEUE_CAP))
                    ev |= POLLIN;
                if (p->blackhole && side == 0)
                    ev |= POLLIN;
                if (!p->stalled && out->head) {
                    int64_t wait = out->head->due_ns - now;
                    if (wait <= 0)
                        ev |= POLLOUT;
                    else if (wait / 1000000 + 1 < timeout)
                        timeout = (int)(wait / 1000000 + 1);
                }
                pfd[n].fd = fd;
                pfd[n].events = ev;
                who[n++] = i * 2 + side;
            }
        }
        pthread_mutex_unlock(&p->lock);
        if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
            break;
        pthread_mutex_lock(&p->lock);
        if (pfd[0].revents & POLLIN) {
            int cfd = accept(p->lfd, NULL, NULL);
            int slot = -1;
            for (int i = 0; cfd >= 0 && i < FPROXY_MAX_PAIRS && slot < 0; i++)
                if (p->pairs[i].cfd < 0)
                    slot = i;
            if (cfd >= 0 && slot < 0)
                close(cfd);
            else if (cfd >= 0) {
                pair *pr = &p->pairs[slot];
                set_nonblock(cfd);
                memset(pr, 0, sizeof *pr);
                pr->cfd = cfd;
                pr->sfd = p->blackhole ? -1 : connect_target(p);
                p->open++;
                if (!p->blackhole && pr->sfd < 0)
                    pair_close(p, pr, false);
            }
        }
        for (int k = 1; k < n; k++) {
            pair *pr = &p->pairs[who[k] / 2];
            int side = who[k] % 2;
            bool ok = true;
            if (pr->cfd < 0 || pfd[k].fd != (side ? pr->sfd : pr->cfd) || p->stalled)
                continue; /* closed meanwhile, or stalled */
            if (pfd[k].revents & POLLOUT)
                ok = pump_out(p, pr, pfd[k].fd, side ? &pr->to_server : &pr->to_client,
                              side == 0);
            if (ok && pr->cfd >= 0 && (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                ok = pump_in(p, pr, pfd[k].fd, side ? &pr->to_client : &pr->to_server,
                             side == 0);
            if (!ok)
                pair_close(p, pr, false);
        }
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

int fproxy_start(fproxy **out, const char *host, int port)
{
    fproxy *p = calloc(1, sizeof *p);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    int one = 1;

    *out = NULL;
    if (!p)
        return -1;
    pthread_mutex_init(&p->lock, NULL);
    for (int i = 0; i < FPROXY_MAX_PAIRS; i++)
        p->pairs[i].cfd = p->pairs[i].sfd = -1;
    p->cut_server_left = p->cut_client_left = -1;
    snprintf(p->target_host, sizeof p->target_host, "%s", host && *host ? host : "127.0.0.1");
    p->target_port = port;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((p->lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0
        || setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)
        || bind(p->lfd, (struct sockaddr *)&a, sizeof a) || listen(p->lfd, 64)
        || getsockname(p->lfd, (struct sockaddr *)&a, &alen)) {
        perror("fproxy: listen");
        if (p->lfd >= 0)
            close(p->lfd);
        free(p);
        return -1;
    }
    set_nonblock(p->lfd);
    p->port = ntohs(a.sin_port);
    snprintf(p->conninfo, sizeof p->conninfo, "host=127.0.0.1 port=%d", p->port);
    if (pthread_create(&p->thread, NULL, run, p)) {
        close(p->lfd);
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void fproxy_stop(fproxy *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    for (int i = 0; i < FPROXY_MAX_PAIRS; i++)
        pair_close(p, &p->pairs[i], false);
    close(p->lfd);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

int fproxy_port(const fproxy *p) { return p->port; }
const char *fproxy_conninfo(const fproxy *p) { return p->conninfo; }

#define SETTER(body)                                                                      \
    do {                                                                                  \
        pthread_mutex_lock(&p->lock);                                                     \
        body;                                                                             \
        pthread_mutex_unlock(&p->lock);                                                   \
    } while (0)

void fproxy_set_latency(fproxy *p, int ms) { SETTER(p->latency_ms = ms); }
void fproxy_stall(fproxy *p, bool on) { SETTER(p->stalled = on); }
void fproxy_blackhole(fproxy *p, bool on) { SETTER(p->blackhole = on); }
void fproxy_mute_server(fproxy *p, bool on) { SETTER(p->mute_server = on); }
void fproxy_cut_after_server_bytes(fproxy *p, long n) { SETTER(p->cut_server_left = n); }
void fproxy_cut_after_client_bytes(fproxy *p, long n) { SETTER(p->cut_client_left = n); }

void fproxy_cut_on_client_text(fproxy *p, const char *needle, bool forward_first)
{
    SETTER(snprintf(p->needle, sizeof p->needle, "%s", needle);
           p->needle_forward = forward_first; p->needle_mute = false);
}

void fproxy_mute_server_on_client_text(fproxy *p, const char *needle)
{
    SETTER(snprintf(p->needle, sizeof p->needle, "%s", needle); p->needle_mute = true);
}

int fproxy_cuts(fproxy *p)
{
    int n;
    SETTER(n = p->cuts);
    return n;
}

int fproxy_open_pairs(fproxy *p)
{
    int n;
    SETTER(n = p->open);
    return n;
}
