package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat (100
// on every Linux architecture Go supports).
const clockTicks = 100

// procCPU returns the CPU time (user and system) process pid has used.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	fields := strings.Fields(s[end+1:]) // fields[0] is field 3, state
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime (14), stime (15)
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// namedProcess is a process whose CPU time is measured.
type namedProcess struct {
	name string
	pid  func() int
}

// cpuMeter reads the CPU time of a set of processes.
type cpuMeter []namedProcess

// sample returns every process's CPU time so far; processes that cannot be
// read (not running) are left out.
func (m cpuMeter) sample() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, p := range m {
		pid := p.pid()
		if pid <= 0 {
			continue
		}
		if d, err := procCPU(pid); err == nil {
			out[p.name] = d
		}
	}
	return out
}

// cpuPerObject returns the CPU milliseconds each process used between two
// samples, divided by objects. An empty before means after holds differences
// already.
func cpuPerObject(before, after map[string]time.Duration, objects int) map[string]float64 {
	out := map[string]float64{}
	if objects <= 0 {
		return out
	}
	for name, a := range after {
		b, ok := before[name]
		if !ok && len(before) > 0 {
			continue // not running at the first sample
		}
		out[name] = float64((a - b).Microseconds()) / 1000 / float64(objects)
	}
	return out
}

// benchProcess is the benchmark itself: the client of every target.
const benchProcess = "bench (client)"

// self is the benchmark's own process.
func self() namedProcess {
	return namedProcess{name: benchProcess, pid: os.Getpid}
}

// serverCPU sums the per-object CPU of every process but the benchmark's.
func serverCPU(perObject map[string]float64) float64 {
	total := 0.0
	for name, ms := range perObject {
		if name != benchProcess {
			total += ms
		}
	}
	return total
}
