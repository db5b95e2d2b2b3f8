/*
 * clock.h - the one place the server reads the time.
 *
 * Deadlines and durations use the monotonic clock (never stepped by NTP or
 * an operator); Date headers and log lines use the wall clock.  The
 * conversions to the timeval and timespec that libevent and sigtimedwait()
 * take live here too, correct for any number of milliseconds.
 */
#ifndef OTU_CLOCK_H
#define OTU_CLOCK_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

/* Monotonic milliseconds and microseconds since an arbitrary start. */
int64_t clock_mono_ms(void);
int64_t clock_mono_us(void);

/* The wall clock (CLOCK_REALTIME) as a timespec. */
struct timespec clock_wall(void);

/*
 * A reading taken once per event-loop turn, for the many "now"s one turn
 * needs (a request's start, its Date, its deadlines, its log line): one
 * clock_gettime() per turn instead of one per question.  clock_tick() takes
 * it; the wall time is derived from the monotonic one and read again from
 * the wall clock every second, so it follows a stepped clock within that.
 * Before the first tick the accessors tick themselves.
 */
void clock_tick(void);
int64_t clock_tick_ms(void);
int64_t clock_tick_us(void);
struct timespec clock_tick_wall(void);

/* ms as a timeval / timespec; a negative ms counts as 0. */
struct timeval clock_ms_to_timeval(int64_t ms);
struct timespec clock_ms_to_timespec(int64_t ms);

#endif
