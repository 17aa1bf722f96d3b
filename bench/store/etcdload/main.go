// etcdload measures an etcd v3 endpoint through its native gRPC client
// (go.etcd.io/etcd/clientv3, the 3.4 API as Debian ships it), on the same
// work bench_store gives skiff's LMDB store:
//
//   - durable puts of 256-byte values, one client in sequence (put.c1)
//   - the same from 64 concurrent clients (put.c64)
//   - a range read of 10,000 keys under one prefix, median of several runs
//   - put-to-watch-event latency, p50 and p99
//
// The gRPC client is used rather than etcd's JSON gateway because the
// gateway costs etcd a large share of its throughput, which would flatter
// skiff. Each figure is printed as one line, `metric <name> <value> <unit>`;
// notes about how it was measured are printed as `# ` lines.
//
// Build offline in GOPATH mode (see mk/etcdbench.mk):
//
//	GO111MODULE=off GOPATH=$tmp:/usr/share/gocode go build
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

type options struct {
	endpoints   []string
	name        string
	prefix      string
	valueSize   int
	duration    time.Duration
	clients     int
	conns       int
	rangeKeys   int
	rangeRuns   int
	serializ    bool
	watchDur    time.Duration
	watchMax    int
	workloads   map[string]bool
	dialTimeout time.Duration
}

// opTimeout bounds every request, so a dead or wedged etcd ends the run with
// an error instead of hanging it.
var opTimeout = 30 * time.Second

// opCtx is the context of one request; call the cancel func when it is
// done. The timer it arms costs far less than the request it bounds.
func opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

func put(cli *clientv3.Client, key, val string) error {
	ctx, cancel := opCtx()
	defer cancel()
	_, err := cli.Put(ctx, key, val)
	return err
}

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "etcdload: "+format+"\n", a...)
	os.Exit(1)
}

func parseFlags() options {
	var o options
	eps := flag.String("endpoints", "127.0.0.1:2379", "comma-separated etcd client endpoints")
	flag.StringVar(&o.name, "name", "etcd", "metric name prefix")
	flag.StringVar(&o.prefix, "prefix", "/skiff-bench/", "key prefix all work is done under (deleted first)")
	flag.IntVar(&o.valueSize, "value-size", 256, "bytes per value")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each put workload runs")
	flag.IntVar(&o.clients, "clients", 64, "concurrent clients of the put.c<N> workload")
	// One shared connection is etcd's best case here (64 connections cost it
	// about a quarter of its throughput on 2 cores), and it is how the
	// Kubernetes API server talks to etcd and the default of etcd's own
	// benchmark tool (--conns=1).
	flag.IntVar(&o.conns, "conns", 1, "gRPC connections the concurrent clients share round-robin (0 = one per client)")
	flag.IntVar(&o.rangeKeys, "range-keys", 10000, "keys in the range read")
	flag.IntVar(&o.rangeRuns, "range-runs", 15, "timed range reads (the median is reported)")
	flag.BoolVar(&o.serializ, "serializable", false, "serializable range reads (default linearizable, as a Kubernetes list)")
	flag.DurationVar(&o.watchDur, "watch-duration", 5*time.Second, "how long the watch-latency workload runs at most")
	flag.IntVar(&o.watchMax, "watch-max", 5000, "at most this many watch-latency samples")
	wl := flag.String("workloads", "put1,putN,range,watch", "which workloads to run")
	flag.DurationVar(&o.dialTimeout, "dial-timeout", 5*time.Second, "connection timeout")
	flag.DurationVar(&opTimeout, "op-timeout", opTimeout, "timeout of each request")
	flag.Parse()
	if flag.NArg() != 0 {
		die("unexpected argument %q (see -h)", flag.Arg(0))
	}
	o.endpoints = strings.Split(*eps, ",")
	o.workloads = map[string]bool{}
	for _, w := range strings.Split(*wl, ",") {
		switch w {
		case "put1", "putN", "range", "watch":
			o.workloads[w] = true
		default:
			die("-workloads: unknown workload %q (want put1, putN, range, watch)", w)
		}
	}
	switch {
	case o.valueSize < 0:
		die("-value-size must be >= 0, got %d", o.valueSize)
	case o.clients < 1:
		die("-clients must be >= 1, got %d", o.clients)
	case o.conns < 0:
		die("-conns must be >= 0, got %d", o.conns)
	case o.rangeKeys < 1 || o.rangeRuns < 1:
		die("-range-keys and -range-runs must be >= 1")
	case o.duration <= 0 || o.watchDur <= 0 || o.watchMax < 1 || opTimeout <= 0:
		die("-duration, -watch-duration, -watch-max and -op-timeout must be positive")
	}
	if o.conns == 0 || o.conns > o.clients {
		o.conns = o.clients
	}
	return o
}

func newClient(o options) *clientv3.Client {
	lc := zap.NewProductionConfig()
	lc.Level = zap.NewAtomicLevelAt(zap.ErrorLevel)
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   o.endpoints,
		DialTimeout: o.dialTimeout,
		// Connect now, so connection setup is not timed as the first put.
		DialOptions: []grpc.DialOption{grpc.WithBlock()},
		LogConfig:   &lc,
	})
	if err != nil {
		die("connecting to %s: %v", strings.Join(o.endpoints, ","), err)
	}
	return c
}

func metric(o options, name string, value float64, unit string, decimals int) {
	fmt.Printf("metric %s.%s %.*f %s\n", o.name, name, decimals, value, unit)
}

// percentile by nearest rank of an ascending slice.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	return sorted[i]
}

// putLoad runs `clients` goroutines, each putting fresh keys in sequence
// (next put after the previous one is acknowledged, i.e. durable) until the
// duration is over, and returns completed puts per second.
func putLoad(o options, conns []*clientv3.Client, tag string, clients int) float64 {
	val := strings.Repeat("v", o.valueSize)
	var total int64
	// The first error any client hit (a mutex, not atomic.Value: errors of
	// different concrete types cannot share one atomic.Value).
	// The first failure also ends the workload at once rather than after
	// the full duration.
	var failMu sync.Mutex
	var failed error
	failing := make(chan struct{})
	fail := func(err error) {
		failMu.Lock()
		if failed == nil {
			failed = err
			close(failing)
		}
		failMu.Unlock()
	}
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	var stop int32
	for c := 0; c < clients; c++ {
		ready.Add(1)
		done.Add(1)
		go func(c int) {
			defer done.Done()
			cli := conns[c%len(conns)]
			key := func(n int) string { return fmt.Sprintf("%sput/%s/%03d/%010d", o.prefix, tag, c, n) }
			// One untimed put per client so every stream is warm.
			if err := put(cli, key(0), val); err != nil {
				fail(err)
			}
			ready.Done()
			<-start
			n := 1
			for atomic.LoadInt32(&stop) == 0 {
				if err := put(cli, key(n), val); err != nil {
					fail(err)
					return
				}
				n++
				atomic.AddInt64(&total, 1)
			}
		}(c)
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	select {
	case <-time.After(o.duration):
	case <-failing:
	}
	atomic.StoreInt32(&stop, 1)
	done.Wait()
	el := time.Since(t0)
	if failed != nil {
		die("put (%s): %v", tag, failed)
	}
	fmt.Printf("# %s.put.%s: %d clients over %d gRPC connection(s), %d puts of %d bytes in %.2f s\n",
		o.name, tag, clients, len(conns), total, o.valueSize, el.Seconds())
	return float64(total) / el.Seconds()
}

// rangeLoad writes rangeKeys keys under their own prefix (in txns of 100
// puts: etcd's default --max-txn-ops is 128), then times whole-prefix
// reads and returns the median.
func rangeLoad(o options, cli *clientv3.Client) time.Duration {
	pfx := o.prefix + "range/"
	val := strings.Repeat("r", o.valueSize)
	for i := 0; i < o.rangeKeys; i += 100 {
		var ops []clientv3.Op
		for j := i; j < i+100 && j < o.rangeKeys; j++ {
			ops = append(ops, clientv3.OpPut(fmt.Sprintf("%s%08d", pfx, j), val))
		}
		ctx, cancel := opCtx()
		_, err := cli.Txn(ctx).Then(ops...).Commit()
		cancel()
		if err != nil {
			die("loading range keys: %v", err)
		}
	}
	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if o.serializ {
		opts = append(opts, clientv3.WithSerializable())
	}
	var times []time.Duration
	for r := -1; r < o.rangeRuns; r++ { // run -1 is an untimed warm-up
		ctx, cancel := opCtx()
		t0 := time.Now()
		resp, err := cli.Get(ctx, pfx, opts...)
		el := time.Since(t0)
		cancel()
		if err != nil {
			die("range read: %v", err)
		}
		if len(resp.Kvs) != o.rangeKeys {
			die("range read returned %d keys, want %d", len(resp.Kvs), o.rangeKeys)
		}
		if r >= 0 {
			times = append(times, el)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	mode := "linearizable"
	if o.serializ {
		mode = "serializable"
	}
	fmt.Printf("# %s.range: %d keys with %d-byte values, %s, %d runs, min %.2f ms, max %.2f ms\n",
		o.name, o.rangeKeys, o.valueSize, mode, len(times),
		float64(times[0])/1e6, float64(times[len(times)-1])/1e6)
	return percentile(times, 0.5)
}

type seen struct {
	key string
	at  time.Time
}

// watchLoad watches a prefix on one client and puts keys under it from
// another, one at a time; a sample is the time from just before the put is
// sent to the moment the watcher receives its event.
func watchLoad(o options, putter, watcher *clientv3.Client) (p50, p99 time.Duration) {
	pfx := o.prefix + "watch/"
	val := strings.Repeat("w", o.valueSize)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wch := watcher.Watch(ctx, pfx, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	first, ok := <-wch
	if !ok || !first.Created {
		die("watch on %q was not created: %v", pfx, first.Err())
	}
	events := make(chan seen, 1024)
	go func() {
		for wr := range wch {
			at := time.Now()
			if err := wr.Err(); err != nil {
				fmt.Fprintf(os.Stderr, "etcdload: watch: %v\n", err)
				close(events)
				return
			}
			for _, ev := range wr.Events {
				events <- seen{string(ev.Kv.Key), at}
			}
		}
		close(events)
	}()
	var lat []time.Duration
	deadline := time.Now().Add(o.watchDur)
	for i := 0; i < o.watchMax && time.Now().Before(deadline); i++ {
		key := fmt.Sprintf("%s%08d", pfx, i)
		t0 := time.Now()
		if err := put(putter, key, val); err != nil {
			die("put (watch): %v", err)
		}
		timeout := time.After(10 * time.Second)
	wait:
		for {
			select {
			case s, ok := <-events:
				if !ok {
					die("watch ended early")
				}
				if s.key == key {
					lat = append(lat, s.at.Sub(t0))
					break wait
				}
			case <-timeout:
				die("no watch event for %s within 10 s", key)
			}
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("# %s.watch: %d sequential puts, watcher on its own connection, min %d us, max %d us\n",
		o.name, len(lat), lat[0].Microseconds(), lat[len(lat)-1].Microseconds())
	return percentile(lat, 0.5), percentile(lat, 0.99)
}

func main() {
	o := parseFlags()
	cli := newClient(o)
	defer cli.Close()
	ctx, cancel := opCtx()
	_, err := cli.Delete(ctx, o.prefix, clientv3.WithPrefix())
	cancel()
	if err != nil {
		die("clearing %q: %v", o.prefix, err)
	}
	if o.workloads["put1"] {
		metric(o, "put.c1", putLoad(o, []*clientv3.Client{cli}, "c1", 1), "ops/s", 0)
	}
	if o.workloads["putN"] {
		conns := make([]*clientv3.Client, o.conns)
		for i := range conns {
			conns[i] = newClient(o)
		}
		tag := fmt.Sprintf("c%d", o.clients)
		metric(o, "put."+tag, putLoad(o, conns, tag, o.clients), "ops/s", 0)
		for _, c := range conns {
			c.Close()
		}
	}
	if o.workloads["range"] {
		name := fmt.Sprintf("range%d.ms", o.rangeKeys)
		if o.rangeKeys%1000 == 0 {
			name = fmt.Sprintf("range%dk.ms", o.rangeKeys/1000)
		}
		metric(o, name, float64(rangeLoad(o, cli))/1e6, "ms", 2)
	}
	if o.workloads["watch"] {
		w := newClient(o)
		p50, p99 := watchLoad(o, cli, w)
		w.Close()
		metric(o, "watch.p50_us", float64(p50.Microseconds()), "us", 0)
		metric(o, "watch.p99_us", float64(p99.Microseconds()), "us", 0)
	}
}
