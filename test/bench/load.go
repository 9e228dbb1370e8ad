package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxErrorMessages bounds the error messages kept per run.
const maxErrorMessages = 5

// createRun is the outcome of creating a set of objects at one concurrency.
type createRun struct {
	// Objects is the number of creates attempted.
	Objects int
	// Errors is the number that failed; Messages are the first few errors.
	Errors   int
	Messages []string
	// Duration is the wall time from the first create sent to the last answer.
	Duration time.Duration
	// Latencies are the latencies of the creates that succeeded.
	Latencies []time.Duration
	// Sent is when each create was sent, by index into the names.
	Sent []time.Time
}

// add appends another run (a later chunk of the same level) to r.
func (r *createRun) add(o createRun) {
	r.Objects += o.Objects
	r.Errors += o.Errors
	for _, m := range o.Messages {
		if len(r.Messages) < maxErrorMessages {
			r.Messages = append(r.Messages, m)
		}
	}
	r.Duration += o.Duration
	r.Latencies = append(r.Latencies, o.Latencies...)
}

// createConcurrently calls create for every name with concurrency workers,
// each taking the next name as soon as its previous create has answered, and
// records each latency. It stops early only when ctx ends.
func createConcurrently(ctx context.Context, names []string, concurrency int, create func(ctx context.Context, name string) error) createRun {
	n := len(names)
	lat := make([]time.Duration, n)
	sent := make([]time.Time, n)
	ok := make([]bool, n)
	var next atomic.Int64
	var errCount atomic.Int64
	var mu sync.Mutex
	var messages []string

	start := time.Now()
	var wg sync.WaitGroup
	for range min(concurrency, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				sent[i] = time.Now()
				err := create(ctx, names[i])
				lat[i] = time.Since(sent[i])
				if err != nil {
					errCount.Add(1)
					mu.Lock()
					if len(messages) < maxErrorMessages {
						messages = append(messages, fmt.Sprintf("%s: %v", names[i], err))
					}
					mu.Unlock()
					continue
				}
				ok[i] = true
			}
		})
	}
	wg.Wait()
	run := createRun{Objects: n, Errors: int(errCount.Load()), Messages: messages, Duration: time.Since(start), Sent: sent}
	for i, d := range lat {
		if ok[i] {
			run.Latencies = append(run.Latencies, d)
		}
	}
	if ctx.Err() != nil {
		// Names never sent count as failed.
		sentCount := min(int(next.Load()), n)
		run.Errors += n - sentCount
		if len(run.Messages) < maxErrorMessages {
			run.Messages = append(run.Messages, fmt.Sprintf("stopped after %d of %d creates: %v", sentCount, n, ctx.Err()))
		}
	}
	return run
}

// perSecond is objects per second over d.
func perSecond(objects int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(objects) / d.Seconds()
}
