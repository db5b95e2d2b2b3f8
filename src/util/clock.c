/*
 * clock.c - see clock.h.
 */
#include "compat.h"

#include "clock.h"

int64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct timespec clock_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts;
}

struct timeval clock_ms_to_timeval(int64_t ms)
{
    if (ms < 0)
        ms = 0;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    return tv;
}

struct timespec clock_ms_to_timespec(int64_t ms)
{
    if (ms < 0)
        ms = 0;
    struct timespec ts = {(time_t)(ms / 1000), (long)((ms % 1000) * 1000000)};
    return ts;
}

/* The last tick: monotonic microseconds, and the wall time then. */
static int64_t tick_us = -1;
static struct timespec tick_wall;
/* When the wall clock was last read, in tick_us terms, and what it said. */
static int64_t wall_read_us = -1;
static struct timespec wall_read;

void clock_tick(void)
{
    tick_us = clock_mono_us();
    if (wall_read_us < 0 || tick_us - wall_read_us >= 1000000) {
        wall_read = clock_wall();
        wall_read_us = tick_us;
    }
    int64_t ns = (int64_t)wall_read.tv_nsec + (tick_us - wall_read_us) * 1000;
    tick_wall.tv_sec = wall_read.tv_sec + (time_t)(ns / 1000000000);
    tick_wall.tv_nsec = (long)(ns % 1000000000);
}

int64_t clock_tick_us(void)
{
    if (tick_us < 0)
        clock_tick();
    return tick_us;
}

int64_t clock_tick_ms(void)
{
    return clock_tick_us() / 1000;
}

struct timespec clock_tick_wall(void)
{
    if (tick_us < 0)
        clock_tick();
    return tick_wall;
}
