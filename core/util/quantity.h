/* core/util/quantity — Kubernetes resource quantities and Go-style durations.
 *
 * Quantities follow k8s.io/apimachinery resource.Quantity: a signed decimal
 * number ("1", "0.5", "1.5e3") with an optional suffix — decimal SI
 * (n u m "" k M G T P E), binary (Ki Mi Gi Ti Pi Ei) or an exponent (e3/E3).
 * Values are held as int64 milli-units (cpu "500m" = 500; memory "1Ki" =
 * 1024000), rounded up to the next milli-unit as Kubernetes rounds; values
 * that do not fit are refused, not wrapped.
 */
#ifndef SKIFF_CORE_QUANTITY_H
#define SKIFF_CORE_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

#include <skiff/error.h>

/* Parse `s`; on failure SKIFF_E_INVALID with a message naming the input and
 * what is wrong (e.g. `quantity "12Qi": unknown suffix "Qi"`). */
int skiff_quantity_parse(const char *s, int64_t *milli, skiff_error_t *err);

/* Kubernetes' canonical form: "500m", "2", "128Mi", "1500M"... `binary` picks
 * the binary suffix family when the value allows (as for a quantity first
 * written with Ki/Mi/...). Returns the length written (snprintf rules). */
int skiff_quantity_format(int64_t milli, int binary, char *buf, size_t len);

/* Normalise the quantity string `in` to Kubernetes' canonical form, keeping
 * the format family it was written in, as the API server does when it stores
 * a pod spec: binary stays binary ("1024Mi" -> "1Gi", but "1.5Ki" -> "1536"
 * and "0.5Gi" -> "512Mi"), decimal SI stays SI ("0.5" -> "500m", "1500M"),
 * and exponent form stays exponent ("1e3" -> "1e3", "1.5e3" -> "1500").
 * Precision is milli-units as for skiff_quantity_parse (Kubernetes keeps
 * nano-units: "100n" becomes "1m" here). `out` is caller-owned; when it is
 * too small for the result: SKIFF_E_TOOLARGE. Parse errors as above. */
int skiff_quantity_canonical(const char *in, char *out, size_t len, skiff_error_t *err);

/* Go duration syntax: "300ms", "1.5h", "2h45m", "30s"; "0" is allowed; units
 * ns us µs ms s m h. Result in milliseconds (sub-ms parts rounded up). */
int skiff_duration_parse(const char *s, int64_t *ms, skiff_error_t *err);

#endif
