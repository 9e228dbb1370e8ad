// Package gctuning sets the Go garbage collector of the catalog's commands from the
// memory their container may use. With a memory limit, the collector can run less often
// (a higher GOGC) while a soft memory limit just under the container's keeps the heap
// from growing into it: the runtime then collects as often as needed near the limit,
// and rarely otherwise. Without a limit nothing changes. GOGC and GOMEMLIMIT set in the
// environment are kept as they are.
package gctuning

import (
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"

	"k8s.io/klog/v2"
)

const (
	// LimitPercent is the share of the container's memory limit set as the soft memory
	// limit; the rest is left to memory the Go runtime does not manage.
	LimitPercent = 90
	// GCPercent is the GOGC set when a memory limit guards the ceiling: the heap may grow
	// to three times the live heap between collections, not two.
	GCPercent = 200
)

// Env is what the settings are chosen from.
type Env struct {
	// Getenv reads the environment.
	Getenv func(string) string
	// Root is where /proc and /sys are found: "/" but in tests.
	Root string
	// RuntimeLimit is the runtime's memory limit before any change: math.MaxInt64 when
	// there is none.
	RuntimeLimit int64
}

// Settings are the garbage collector's settings Choose picks; zero fields leave the
// runtime's as they are.
type Settings struct {
	// MemoryLimit is the soft memory limit to set, in bytes.
	MemoryLimit int64
	// GCPercent is the GOGC to set.
	GCPercent int
	// ContainerLimit is the memory limit of the process's cgroup, 0 when it has none.
	ContainerLimit int64
	// Source names the file ContainerLimit was read from.
	Source string
}

// Choose picks the settings for env: a soft memory limit of LimitPercent of the cgroup's
// memory limit unless GOMEMLIMIT is set, and GOGC=GCPercent unless GOGC is set, once some
// memory limit is in force.
func Choose(env Env) Settings {
	var s Settings
	if env.Getenv("GOMEMLIMIT") == "" {
		if limit, source, ok := cgroupMemoryLimit(env.Root); ok {
			s.ContainerLimit, s.Source = limit, source
			s.MemoryLimit = limit / 100 * LimitPercent
		}
	}
	limited := s.MemoryLimit > 0 || env.RuntimeLimit < math.MaxInt64
	if env.Getenv("GOGC") == "" && limited {
		s.GCPercent = GCPercent
	}
	return s
}

// Apply chooses the settings for this process, applies them and logs the collector's
// settings. Call it once, early.
func Apply(logger klog.Logger) Settings {
	s := Choose(Env{Getenv: os.Getenv, Root: "/", RuntimeLimit: debug.SetMemoryLimit(-1)})
	if s.MemoryLimit > 0 {
		debug.SetMemoryLimit(s.MemoryLimit)
	}
	gogc := os.Getenv("GOGC")
	if s.GCPercent > 0 {
		debug.SetGCPercent(s.GCPercent)
		gogc = ""
	}
	logger.Info("Garbage collector settings", "memoryLimit", limitText(debug.SetMemoryLimit(-1)),
		"gcPercent", gcPercentText(s.GCPercent, gogc), "containerMemoryLimit", limitText(s.ContainerLimit), "source", s.Source)
	return s
}

// limitText renders a memory limit for the log.
func limitText(limit int64) string {
	if limit <= 0 || limit == math.MaxInt64 {
		return "none"
	}
	return fmt.Sprintf("%.1fMi", float64(limit)/(1<<20))
}

// gcPercentText renders the GOGC in force for the log: the one set, else the
// environment's, else the runtime's default.
func gcPercentText(set int, env string) string {
	switch {
	case set > 0:
		return strconv.Itoa(set)
	case env != "":
		return env
	}
	return "100"
}
