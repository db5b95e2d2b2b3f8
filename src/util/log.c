/*
 * log.c - see log.h.
 */
#include "compat.h"

#include "log.h"

#include "clock.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Longest log line; longer messages are cut and end in "...". */
#define LOG_LINE_MAX 4096

/* Buffer for access lines in a worker: a few hundred lines per write(). */
#define LOG_BUFFER_SIZE (32 * 1024)

int log_threshold = LOG_LEVEL_INFO;

static bool log_buffered;                /* log_append() buffers */
static char log_buffer[LOG_BUFFER_SIZE]; /* whole lines waiting for log_flush() */
static size_t log_buffer_len;            /* bytes held */

static bool log_json;                 /* log_write() makes JSON objects */
static int log_fd = STDOUT_FILENO;    /* where lines go */
static char log_path[PATH_MAX] = "-"; /* what log_reopen() opens */

/* Opens path, or duplicates stdout for "-"; returns the fd or -1. */
static int open_log_path(const char *path)
{
    if (strcmp(path, "-") == 0)
        return STDOUT_FILENO;
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

int log_open(const char *path)
{
    size_t n = strlen(path);
    if (n >= sizeof(log_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open_log_path(path);
    if (fd < 0)
        return -1;
    if (log_fd != STDOUT_FILENO && log_fd != fd)
        close(log_fd);
    log_fd = fd;
    memmove(log_path, path, n + 1); /* path may be log_path itself (log_reopen) */
    return 0;
}

int log_reopen(void)
{
    log_flush(); /* the lines so far belong to the old file */
    return log_open(log_path);
}

const char *log_level_name(enum log_level level)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    return (unsigned)level < OTU_ARRAY_LEN(names) ? names[level] : "?";
}

void log_write_raw(const char *line, size_t len)
{
    while (len > 0) {
        ssize_t n = write(log_fd, line, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere left to complain to */
        line += n;
        len -= (size_t)n;
    }
}

void log_set_buffered(bool on)
{
    log_flush();
    log_buffered = on;
}

void log_flush(void)
{
    size_t start = 0;
    while (start < log_buffer_len) {
        /* the largest run of whole lines that fits in PIPE_BUF */
        size_t end = start + PIPE_BUF < log_buffer_len ? start + PIPE_BUF : log_buffer_len;
        if (end < log_buffer_len) {
            while (end > start && log_buffer[end - 1] != '\n')
                end--;
            if (end == start)
                end = start + PIPE_BUF; /* cannot happen: lines are shorter */
        }
        log_write_raw(log_buffer + start, end - start);
        start = end;
    }
    log_buffer_len = 0;
}

void log_append(const char *line, size_t len)
{
    if (!log_buffered) {
        log_write_raw(line, len);
        return;
    }
    if (log_buffer_len + len > sizeof(log_buffer))
        log_flush();
    if (len > sizeof(log_buffer)) {
        log_write_raw(line, len);
        return;
    }
    memcpy(log_buffer + log_buffer_len, line, len);
    log_buffer_len += len;
}

void log_set_json(bool on)
{
    log_json = on;
}

/*
 * Writes msg (len bytes) into out as the inside of a JSON string: quotes,
 * backslashes and control bytes escaped, well-formed UTF-8 kept, any other
 * byte U+FFFD.  Stops before cap - 8 bytes (room for the longest escape and
 * the closing "}\n"); returns the length written.
 */
static size_t json_escape(const char *msg, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < cap;) {
        unsigned char c = (unsigned char)msg[i];
        size_t seq = utf8_sequence((const unsigned char *)msg + i, len - i);
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
        } else if (seq == 0) {
            memcpy(out + o, "\\ufffd", 6);
            o += 6;
        } else {
            memcpy(out + o, msg + i, seq);
            o += seq;
            i += seq;
            continue;
        }
        i++;
    }
    return o;
}

/* Writes the start of a line, time, pid and level, as text or as JSON up to the message's opening quote. */
static int line_start(enum log_level level, char *line, size_t cap)
{
    struct timespec now = clock_wall();
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char time[64]; /* room for any int the compiler imagines in struct tm */
    snprintf(time, sizeof(time), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(now.tv_nsec / 1000000));
    if (log_json)
        return snprintf(line, cap, "{\"time\":\"%s\",\"pid\":%d,\"level\":\"%s\",\"msg\":\"", time, (int)getpid(),
                        log_level_name(level));
    return snprintf(line, cap, "%s [%d] %s: ", time, (int)getpid(), log_level_name(level));
}

void log_write(enum log_level level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX], msg[LOG_LINE_MAX];
    int n = line_start(level, line, sizeof(line));
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    size_t mlen = (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1;
    size_t room = sizeof(line) - (size_t)n - 4; /* the closing "}, the newline */
    size_t len = (size_t)n;
    if (log_json) {
        len += json_escape(msg, mlen, line + n, room);
        memcpy(line + len, "\"}", 2);
        len += 2;
    } else {
        size_t take = mlen < room ? mlen : room;
        memcpy(line + len, msg, take);
        len += take;
        if (take < mlen)
            memcpy(line + len - 3, "...", 3); /* cut: end in "..." */
    }
    line[len++] = '\n';
    log_flush(); /* keep the order: buffered access lines came first */
    log_write_raw(line, len);
}
