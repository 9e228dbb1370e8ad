package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"
)

// procMemory is a process's memory as /proc/<pid>/status reports it, in bytes.
type procMemory struct {
	// RSS is VmRSS: resident anonymous, file-backed (etcd's mmapped bbolt
	// file) and shared memory.
	RSS int64 `json:"rssBytes"`
	// RSSAnon is RssAnon, the resident anonymous memory (Go heap, stacks).
	RSSAnon int64 `json:"rssAnonBytes"`
	// HeapInuse is the Go runtime's go_memstats_heap_inuse_bytes, after a
	// forced garbage collection where the process allows one; 0 if unknown.
	HeapInuse int64 `json:"heapInuseBytes,omitempty"`
}

// readProcMemory reads /proc/<pid>/status.
func readProcMemory(pid int) (procMemory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procMemory{}, err
	}
	defer func() { _ = f.Close() }() // read only
	var m procMemory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch key {
		case "VmRSS":
			dst = &m.RSS
		case "RssAnon":
			dst = &m.RSSAnon
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return m, fmt.Errorf("/proc/%d/status %s: %w", pid, key, err)
		}
		*dst = kb * 1024
	}
	if m.RSS == 0 {
		return m, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	return m, sc.Err()
}

// goServer is an HTTP(S) endpoint of a Go process serving /metrics and, for
// the API servers (run with --profiling), /debug/pprof.
type goServer struct {
	// Name labels the process in the report.
	Name string
	// PID is the process id.
	PID func() int
	// Base is the server's URL without a trailing slash.
	Base string
	// Client is authorized to read /metrics and /debug/pprof.
	Client *http.Client
	// Pprof says whether /debug/pprof is served.
	Pprof bool
}

// settleDelay is how long a process is left alone after a forced garbage
// collection before its memory is read.
const settleDelay = 2 * time.Second

// measureMemory forces a garbage collection in the server where it serves
// pprof (GET /debug/pprof/heap?gc=1, whose heap profile is saved to heapFile
// if not empty), waits settleDelay and reads the process's memory and its Go
// heap in use.
func measureMemory(ctx context.Context, s goServer, heapFile string) (procMemory, error) {
	if s.Pprof {
		body, err := figures.HTTPGet(ctx, s.Client, s.Base+"/debug/pprof/heap?gc=1")
		if err != nil {
			return procMemory{}, fmt.Errorf("forcing a GC in %s: %w", s.Name, err)
		}
		if heapFile != "" {
			if err := os.WriteFile(heapFile, body, 0o644); err != nil {
				return procMemory{}, err
			}
		}
	}
	select {
	case <-time.After(settleDelay):
	case <-ctx.Done():
		return procMemory{}, ctx.Err()
	}
	m, err := readProcMemory(s.PID())
	if err != nil {
		return m, err
	}
	samples, err := scrape(ctx, s.Client, s.Base+"/metrics")
	if err != nil {
		return m, fmt.Errorf("metrics of %s: %w", s.Name, err)
	}
	m.HeapInuse = int64(gauge(samples, "go_memstats_heap_inuse_bytes"))
	return m, nil
}

// mib converts bytes to MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }
