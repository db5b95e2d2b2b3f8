/*
 * log.h - leveled, prefork-safe logging.
 *
 * Each line is built in memory and written with one write() on an
 * O_APPEND descriptor, so lines from different workers never interleave.
 * The LOG_* macros test the level before evaluating their arguments.
 */
#ifndef OTU_LOG_H
#define OTU_LOG_H

#include "compat.h"

#include <stdbool.h>
#include <stddef.h>

enum log_level {
    LOG_LEVEL_ERROR = 0, /* something failed and was not recovered */
    LOG_LEVEL_WARN,      /* something failed and was recovered (a worker respawned) */
    LOG_LEVEL_INFO,      /* lifecycle events and one line per request */
    LOG_LEVEL_DEBUG      /* detail for developers */
};

extern int log_threshold; /* lines above this level are dropped */

/*
 * Opens path for appending ("-" means standard output) and makes it the
 * log.  Returns 0, or -1 with errno set; the previous log stays in use.
 */
int log_open(const char *path);

/* Reopens the log file by its path (after rotation).  Returns 0 or -1 with errno set. */
int log_reopen(void);

/*
 * With on, every line log_write() makes is one JSON object,
 * {"time":"...","level":"info","pid":7,"msg":"..."}, the message escaped
 * (valid UTF-8: any other byte becomes U+FFFD), so that a log pipeline that
 * reads --log-format json access lines reads the start, reload, stop,
 * warning and error lines too.  Off (the default): "TIME [PID] LEVEL: MSG".
 */
void log_set_json(bool on);

/* Writes one line at the given level; use the LOG_* macros instead. */
void log_write(enum log_level level, const char *fmt, ...) OTU_PRINTF(2, 3);

/* Writes an already formatted line (ending in a newline) as it is, with one write(). */
void log_write_raw(const char *line, size_t len);

/* Longest line the buffer takes whole; longer access lines are cut to fit. */
#define LOG_BUFFERED_LINE_MAX 4000

/*
 * Turns buffering on or off for log_append().  A worker buffers its access
 * lines and flushes them with log_flush() on a timer, so a busy worker makes
 * one write() per batch instead of one per request.
 */
void log_set_buffered(bool on);

/*
 * Adds one whole line (ending in a newline, at most LOG_BUFFERED_LINE_MAX
 * bytes) to the buffer, or writes it at once when buffering is off.
 */
void log_append(const char *line, size_t len);

/*
 * Writes out what the buffer holds, in chunks of whole lines no larger than
 * PIPE_BUF, so lines never interleave with another process's even on a pipe
 * (docker logs).  Cheap when the buffer is empty.
 */
void log_flush(void);

/* Returns the name of a level ("info"). */
const char *log_level_name(enum log_level level);

#define LOG_AT(lvl, ...)                   \
    do {                                   \
        if (log_threshold >= (lvl))        \
            log_write((lvl), __VA_ARGS__); \
    } while (0)
#define LOG_ERROR(...) LOG_AT(LOG_LEVEL_ERROR, __VA_ARGS__)
#define LOG_WARN(...)  LOG_AT(LOG_LEVEL_WARN, __VA_ARGS__)
#define LOG_INFO(...)  LOG_AT(LOG_LEVEL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) LOG_AT(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
