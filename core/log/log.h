/* core/log — leveled logging to stderr (the face of core/log/).
 *
 * One line per call, written with a single write() so lines from threads do
 * not interleave. Format (klog-like, as Kubernetes components log):
 *   I1127 04:10:00.123456 [kind:name] message
 * The level is process-wide: set from SKIFF_LOG (error|warn|info|debug|trace
 * or 0-4) by skiff_log_init_env(), or by the CLI's --log-level. Callers check
 * skiff_log_enabled() before formatting anything expensive; skiff_log() checks
 * it too so a disabled call costs one comparison.
 */
#ifndef SKIFF_CORE_LOG_H
#define SKIFF_CORE_LOG_H

#include <stdarg.h>

#include <skiff/error.h>
#include <skiff/host.h> /* SKIFF_LOG_ERROR .. SKIFF_LOG_TRACE */

void skiff_log_set_level(int level);
int skiff_log_get_level(void);
/* "error", "warn"/"warning", "info", "debug", "trace" or a digit 0-4.
 * Returns 0, or SKIFF_E_INVALID with a message naming the bad value. */
int skiff_log_parse_level(const char *s, int *level, skiff_error_t *err);
/* Apply SKIFF_LOG if set; a bad value is reported on stderr and ignored. */
void skiff_log_init_env(void);

int skiff_log_enabled(int level);
/* prefix is e.g. "admission:require-label" (shown in brackets) or NULL. */
void skiff_log(int level, const char *prefix, const char *fmt, ...) SKIFF_PRINTF(3, 4);
void skiff_logv(int level, const char *prefix, const char *fmt, va_list ap);

#endif
