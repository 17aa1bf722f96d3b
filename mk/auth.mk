# Authentication/authorization area (core/api/auth.h). The self-signed
# serving certificate (core/api/tls.c) is made with GnuTLS, which
# libmicrohttpd already links; the core links it directly too.
CORE_LIBS += $(shell pkg-config --libs gnutls 2>/dev/null || echo -lgnutls)

# The benchmark (make bench-auth): what authentication and RBAC cost pod
# creates over HTTP, and one decision alone. Figures: docs/performance.md
# (## Auth). Smaller: make bench-auth AUTH_BENCH_ARGS="--creates 2000 --rounds 3"
AUTH_BENCH := $(BUILD)/bench/auth_bench
AUTH_BENCH_ARGS ?=

$(AUTH_BENCH): bench/auth/bench_auth.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBCORE) $(CORE_LIBS)

.PHONY: bench-auth
bench-auth: all $(AUTH_BENCH)
	$(AUTH_BENCH) --plugins $(BUILD)/plugins $(AUTH_BENCH_ARGS)
