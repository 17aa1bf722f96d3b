// y2j runs sigs.k8s.io/yaml.YAMLToJSON (what kubectl uses) in two ways:
//   y2j FILE RUNS   times it on FILE (for `make bench-manifest`)
//   y2j -batch      reads file paths from stdin and prints, per file, the JSON
//                   on one line or "ERR <message>" (the oracle for
//                   tests/manifest/yaml11_oracle.t.sh)
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

func batch() {
	sc := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for sc.Scan() {
		b, err := os.ReadFile(sc.Text())
		if err != nil {
			fmt.Fprintf(out, "ERR %s\n", err)
			continue
		}
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			fmt.Fprintf(out, "ERR %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Fprintf(out, "%s\n", j)
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-batch" {
		batch()
		return
	}
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
