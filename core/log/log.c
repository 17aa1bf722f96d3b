/* Leveled stderr logging; see log.h. */
#include "log/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = SKIFF_LOG_INFO;

void skiff_log_set_level(int level)
{
    if (level < SKIFF_LOG_ERROR) level = SKIFF_LOG_ERROR;
    if (level > SKIFF_LOG_TRACE) level = SKIFF_LOG_TRACE;
    atomic_store(&log_level, level);
}

int skiff_log_get_level(void) { return atomic_load(&log_level); }

int skiff_log_enabled(int level) { return level <= atomic_load(&log_level); }

int skiff_log_parse_level(const char *s, int *level, skiff_error_t *err)
{
    static const struct { const char *name; int level; } names[] = {
        { "error", SKIFF_LOG_ERROR }, { "warn", SKIFF_LOG_WARN },
        { "warning", SKIFF_LOG_WARN }, { "info", SKIFF_LOG_INFO },
        { "debug", SKIFF_LOG_DEBUG }, { "trace", SKIFF_LOG_TRACE },
    };
    if (s && s[0] >= '0' && s[0] <= '4' && s[1] == '\0') {
        *level = s[0] - '0';
        return 0;
    }
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *level = names[i].level;
            return 0;
        }
    }
    return skiff_error_set(err, SKIFF_E_INVALID,
                           "invalid log level \"%s\" (want error, warn, info, debug, trace or 0-4)",
                           s ? s : "");
}

void skiff_log_init_env(void)
{
    const char *v = getenv("SKIFF_LOG");
    if (!v || !*v) return;
    skiff_error_t err;
    int level;
    if (skiff_log_parse_level(v, &level, &err) < 0) {
        fprintf(stderr, "SKIFF_LOG: %s\n", err.msg);
        return;
    }
    skiff_log_set_level(level);
}

void skiff_logv(int level, const char *prefix, const char *fmt, va_list ap)
{
    if (!skiff_log_enabled(level)) return;
    static const char letters[] = "EWIDT";
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int lv = level < 0 ? 0 : level > 4 ? 4 : level;
    int n = snprintf(line, sizeof line, "%c%02d%02d %02d:%02d:%02d.%06ld ", letters[lv],
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000);
    if (prefix && n >= 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - n, "[%s] ", prefix);
    if (n >= 0 && (size_t)n < sizeof line)
        n += vsnprintf(line + n, sizeof line - n, fmt, ap);
    if (n < 0) return;
    /* A truncated line still ends with a newline. */
    if ((size_t)n >= sizeof line - 1) n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

void skiff_log(int level, const char *prefix, const char *fmt, ...)
{
    if (!skiff_log_enabled(level)) return;
    va_list ap;
    va_start(ap, fmt);
    skiff_logv(level, prefix, fmt, ap);
    va_end(ap);
}
