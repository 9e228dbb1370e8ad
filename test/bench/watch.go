package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// watchDeliveryTimeout bounds the wait for the last event on every watch.
const watchDeliveryTimeout = 30 * time.Second

// watchResult is the delivery delay of creates to many watches.
type watchResult struct {
	// Watchers and Events are the watches opened and the objects created.
	Watchers int `json:"watchers"`
	Events   int `json:"events"`
	// Delivered counts (watch, object) pairs delivered; Watchers*Events when
	// nothing was lost.
	Delivered int `json:"delivered"`
	// Delay is from a create being sent to its event arriving on a watch,
	// over every (watch, object) pair.
	Delay Latency `json:"delay"`
}

// measureWatch opens watchers watches on t from its current revision, then
// creates events objects one after another, interval apart, and records when
// each create reaches each watch.
func measureWatch(ctx context.Context, t target, watchers, events int, interval time.Duration) (watchResult, error) {
	res := watchResult{Watchers: watchers, Events: events}
	rev, err := t.Revision(ctx)
	if err != nil {
		return res, fmt.Errorf("reading the revision: %w", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()

	names := make([]string, events)
	index := map[string]int{}
	for i := range names {
		names[i] = fmt.Sprintf("watch-%04d", i)
		index[names[i]] = i
	}
	sent := make([]atomic.Int64, events) // UnixNano, set before each create

	delays := make([][]time.Duration, watchers)
	var wg sync.WaitGroup
	var delivered atomic.Int64
	for w := range watchers {
		ch, err := t.Watch(wctx, rev)
		if err != nil {
			return res, fmt.Errorf("opening watch %d: %w", w+1, err)
		}
		wg.Go(func() {
			seen := 0
			for name := range ch {
				i, ok := index[name]
				if !ok {
					continue
				}
				arrived := time.Now().UnixNano()
				delays[w] = append(delays[w], time.Duration(arrived-sent[i].Load()))
				delivered.Add(1)
				if seen++; seen == events {
					return
				}
			}
		})
	}
	// Let the last watch reach its server before the first create.
	time.Sleep(200 * time.Millisecond)

	for i, name := range names {
		sent[i].Store(time.Now().UnixNano())
		if err := t.Create(ctx, name); err != nil {
			return res, fmt.Errorf("creating %s: %w", name, err)
		}
		time.Sleep(interval)
	}

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(watchDeliveryTimeout):
		cancel()
		<-done
	case <-ctx.Done():
		cancel()
		<-done
	}
	var all []time.Duration
	for _, d := range delays {
		all = append(all, d...)
	}
	res.Delivered = int(delivered.Load())
	res.Delay = summarize(all)
	if res.Delivered != watchers*events {
		return res, fmt.Errorf("%d of %d events delivered to %d watches within %s", res.Delivered, watchers*events, watchers, watchDeliveryTimeout)
	}
	return res, nil
}
