package main

import (
	"math"
	"slices"
	"time"
)

// Latency summarises a set of durations, in milliseconds for the JSON report.
type Latency struct {
	// Count is the number of samples.
	Count int `json:"count"`
	// P50, P99 and Max are percentiles (nearest rank) in milliseconds.
	P50 float64 `json:"p50Ms"`
	P99 float64 `json:"p99Ms"`
	Max float64 `json:"maxMs"`
	// Min is the smallest sample in milliseconds.
	Min float64 `json:"minMs"`
}

// summarize computes the percentiles of ds; ds is sorted in place.
func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	return Latency{
		Count: len(ds),
		P50:   ms(percentile(ds, 50)),
		P99:   ms(percentile(ds, 99)),
		Max:   ms(ds[len(ds)-1]),
		Min:   ms(ds[0]),
	}
}

// percentile returns the p-th percentile of sorted ds by the nearest-rank
// method: the smallest sample with at least p% of the samples at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// ms converts d to milliseconds with microsecond resolution.
func ms(d time.Duration) float64 {
	return math.Round(float64(d.Microseconds())) / 1000
}

// ratio returns a/b, or 0 when either is not positive (no figure to compare).
func ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}
