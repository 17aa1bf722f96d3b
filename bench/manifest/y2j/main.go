// y2j times sigs.k8s.io/yaml.YAMLToJSON (what kubectl uses) on a file, for
// comparison with bench_manifest on the same bytes. Usage: y2j FILE RUNS
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"sigs.k8s.io/yaml"
)

func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	runs, _ := strconv.Atoi(os.Args[2])
	var ts []float64
	for i := 0; i < runs; i++ {
		t0 := time.Now()
		if _, err := yaml.YAMLToJSON(b); err != nil {
			panic(err)
		}
		ts = append(ts, time.Since(t0).Seconds())
	}
	sort.Float64s(ts)
	m := ts[len(ts)/2]
	fmt.Printf("sigs.k8s.io/yaml YAMLToJSON %8.1f ms  %7.1f MB/s\n", m*1e3, float64(len(b))/m/1e6)
}
