# Authentication/authorization area (core/api/auth.h). The self-signed
# serving certificate (core/api/tls.c) is made with GnuTLS, which
# libmicrohttpd already links; the core links it directly too.
CORE_LIBS += $(shell pkg-config --libs gnutls 2>/dev/null || echo -lgnutls)
