# etcdbench: the Go load tool that measures etcd through its native gRPC
# client for `make bench-store` (bench/store/run.sh). Built offline in GOPATH
# mode against Debian's golang-etcd-server-dev (/usr/share/gocode); needs
# `bash scripts/deps.sh --bench`. Not part of `make tests`: Go is a bench dep.
ETCDLOAD := $(BUILD)/bench/etcdload
ETCDLOAD_GO := GO111MODULE=off GOPROXY=off GOFLAGS= GOTOOLCHAIN=local \
	GOPATH=$(abspath $(BUILD))/bench/gopath:/usr/share/gocode \
	GOCACHE=$(abspath $(BUILD))/bench/gocache

.PHONY: bench-etcd-tool
bench-etcd-tool: $(ETCDLOAD)

$(ETCDLOAD): $(wildcard bench/store/etcdload/*.go)
	@mkdir -p $(BUILD)/bench/gopath
	cd bench/store/etcdload && $(ETCDLOAD_GO) go build -o $(abspath $@) .
