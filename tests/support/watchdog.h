/* A watchdog for tests that must not hang: watchdog_arm(s, what) starts a thread that
   ends the whole program (exit code 1, message on stderr) unless watchdog_disarm() is
   called within s seconds. One armed at a time. Header-only. */
#ifndef CERD_WATCHDOG_H
#define CERD_WATCHDOG_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool armed;
    int seconds;
    const char *what;
} watchdog_ = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *watchdog_run_(void *arg)
{
    struct timespec until;
    (void)arg;
    clock_gettime(CLOCK_REALTIME, &until);
    pthread_mutex_lock(&watchdog_.lock);
    until.tv_sec += watchdog_.seconds;
    while (watchdog_.armed)
        if (pthread_cond_timedwait(&watchdog_.cond, &watchdog_.lock, &until) == ETIMEDOUT
            && watchdog_.armed) {
            fprintf(stderr, "watchdog: %s did not return within %d s: a call hangs\n",
                    watchdog_.what, watchdog_.seconds);
            fflush(stderr);
            _exit(1);
        }
    pthread_mutex_unlock(&watchdog_.lock);
    return NULL;
}

static inline void watchdog_arm(int seconds, const char *what)
{
    watchdog_.armed = true;
    watchdog_.seconds = seconds;
    watchdog_.what = what;
    if (pthread_create(&watchdog_.thread, NULL, watchdog_run_, NULL))
        abort();
}

static inline void watchdog_disarm(void)
{
    pthread_mutex_lock(&watchdog_.lock);
    watchdog_.armed = false;
    pthread_cond_signal(&watchdog_.cond);
    pthread_mutex_unlock(&watchdog_.lock);
    pthread_join(watchdog_.thread, NULL);
}

#endif
