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

/* ms as a timeval / timespec; a negative ms counts as 0. */
struct timeval clock_ms_to_timeval(int64_t ms);
struct timespec clock_ms_to_timespec(int64_t ms);

#endif
