package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"
)

// run measures, in order: warm-up, memory before, the creates (levels in
// turn, targets alternating within each level), memory after, the LISTs, the
// watches and, with -profile, CPU profiles under load.
func (r *section1Result) run(ctx context.Context, opts *options, logf func(string, ...any)) {
	for _, t := range r.Targets {
		if err := t.target.Warmup(ctx); err != nil {
			r.fail(fmt.Errorf("%s: warm-up: %w", t.Name, err))
			return
		}
	}
	logf("section 1: warmed up %d targets", len(r.Targets))
	for _, m := range r.Memory {
		var err error
		m.PID = m.server.PID()
		if m.Before, err = measureMemory(ctx, m.server, ""); err != nil {
			r.fail(fmt.Errorf("memory of %s: %w", m.Process, err))
			return
		}
	}

	r.creates(ctx, logf)
	if ctx.Err() != nil {
		r.fail(ctx.Err())
		return
	}

	for _, m := range r.Memory {
		heapFile := ""
		if opts.profile && m.server.Pprof {
			heapFile = filepath.Join(opts.profileDir, "section1-heap-"+m.server.Name+".pprof")
			r.Profiles = append(r.Profiles, heapFile)
		}
		after, err := measureMemory(ctx, m.server, heapFile)
		if err != nil {
			r.fail(fmt.Errorf("memory of %s: %w", m.Process, err))
			continue
		}
		m.After = after
		for _, t := range r.Targets {
			if slices.Contains(m.Targets, t.Name) {
				m.Objects += t.stored
			}
		}
		m.RSSPer10k = per10k(m.After.RSS-m.Before.RSS, m.Objects)
		m.HeapPer10k = per10k(m.After.HeapInuse-m.Before.HeapInuse, m.Objects)
	}

	r.lists(ctx, opts, logf)
	for _, t := range r.Targets {
		logf("section 1: %s: %d watches, %d creates", t.Name, opts.watchers, opts.watchEvents)
		w, err := measureWatch(ctx, t.target, opts.watchers, opts.watchEvents, watchInterval)
		t.Watch = &w
		if err != nil {
			r.fail(fmt.Errorf("%s: watch: %w", t.Name, err))
		}
	}
	if opts.profile {
		r.profile(ctx, opts, logf)
	}
}

// creates runs the create levels. Each level is split into rounds; in every
// round each target creates its share in turn, the first target rotating from
// round to round, so that a disturbance on the shared machine hits all
// targets alike.
func (r *section1Result) creates(ctx context.Context, logf func(string, ...any)) {
	next := 0 // index of the next object name, the same for every target
	for _, level := range r.Levels {
		for _, t := range r.Targets {
			t.Creates = append(t.Creates, &createLevel{Concurrency: level.Concurrency, cpu: map[string]time.Duration{}})
		}
		li := len(r.Targets[0].Creates) - 1
		chunks := split(level.Objects, r.Rounds)
		for round, n := range chunks {
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("si-%05d", next+i)
			}
			next += n
			for _, t := range rotate(r.Targets, round+li) {
				before := r.meter.sample()
				run := createConcurrently(ctx, names, level.Concurrency, t.target.Create)
				for name, d := range r.meter.sample() {
					if b, ok := before[name]; ok {
						t.Creates[li].cpu[name] += d - b
					}
				}
				logf("section 1: c=%d round %d/%d %-10s %5d creates in %6.2fs = %7.1f/s, %d errors",
					level.Concurrency, round+1, len(chunks), t.Name, n, run.Duration.Seconds(), perSecond(n, run.Duration), run.Errors)
				t.Creates[li].run.add(run)
			}
		}
		for _, t := range r.Targets {
			c := t.Creates[li]
			c.tally()
			c.CPUPerObjectMs = cpuPerObject(map[string]time.Duration{}, c.cpu, c.Objects)
			t.stored += c.Objects - c.Errors
			if c.Errors > 0 {
				r.fail(fmt.Errorf("%s: %d of %d creates at c=%d failed: %v", t.Name, c.Errors, c.Objects, c.Concurrency, c.Messages))
			}
		}
	}
}

// tally fills the level's figures from its creates.
func (c *createLevel) tally() {
	c.Objects, c.Errors, c.Messages = c.run.Objects, c.run.Errors, c.run.Messages
	c.Seconds = c.run.Duration.Seconds()
	c.PerSecond = perSecond(c.Objects-c.Errors, c.run.Duration)
	c.Latency = summarize(c.run.Latencies)
}

// lists reads every target's objects, ListRepetitions times, targets in
// turn: unpaginated as JSON and as protobuf (if served), and paginated.
func (r *section1Result) lists(ctx context.Context, opts *options, logf func(string, ...any)) {
	for _, t := range r.Targets {
		t.ListJSON, t.ListPaged = &listSummary{}, &listSummary{}
		t.ProtobufServed = true // until a request shows otherwise
	}
	for rep := range opts.listReps {
		for _, t := range rotate(r.Targets, rep) {
			res, err := t.target.List(ctx, mediaJSON)
			if err == nil && res.Items != t.stored {
				err = fmt.Errorf("listed %d objects, stored %d", res.Items, t.stored)
			}
			if err != nil {
				r.fail(fmt.Errorf("%s: LIST: %w", t.Name, err))
				return
			}
			t.ListJSON.add(res)
			if t.ProtobufServed {
				res, err := t.target.List(ctx, mediaProtobuf)
				switch {
				case errors.Is(err, errNotServed):
					t.ProtobufServed, t.ProtobufAnswer = false, err.Error()
				case err != nil:
					r.fail(fmt.Errorf("%s: protobuf LIST: %w", t.Name, err))
					return
				default:
					if t.ListProtobuf == nil {
						t.ListProtobuf = &listSummary{}
					}
					res.Items = t.stored // not decoded
					t.ListProtobuf.add(res)
				}
			}
			res, err = t.target.ListPaged(ctx, opts.pageSize)
			if err == nil && res.Items != t.stored {
				err = fmt.Errorf("listed %d objects in pages, stored %d", res.Items, t.stored)
			}
			if err != nil {
				r.fail(fmt.Errorf("%s: paginated LIST: %w", t.Name, err))
				return
			}
			t.ListPaged.add(res)
		}
		logf("section 1: LIST round %d/%d done", rep+1, opts.listReps)
	}
	for _, t := range r.Targets {
		for _, s := range []*listSummary{t.ListJSON, t.ListProtobuf, t.ListPaged} {
			if s != nil {
				s.finish()
			}
		}
	}
}

// add records one read.
func (s *listSummary) add(res listResult) {
	s.Repetitions++
	s.Items, s.Pages = res.Items, res.Pages
	if res.Items > 0 {
		s.BytesPerObject = float64(res.Bytes) / float64(res.Items)
	}
	s.durations = append(s.durations, res.Duration)
}

// finish computes the latencies of the reads.
func (s *listSummary) finish() {
	s.Latency = summarize(s.durations)
}

// profile puts each API target under create load at the highest concurrency
// for -profile-seconds while taking CPU profiles of the processes that serve
// it.
func (r *section1Result) profile(ctx context.Context, opts *options, logf func(string, ...any)) {
	concurrency := r.Levels[len(r.Levels)-1].Concurrency
	for _, t := range r.Targets {
		servers := r.profileServers[t.Name]
		if len(servers) == 0 {
			continue
		}
		var files []string
		for _, s := range servers {
			files = append(files, filepath.Join(opts.profileDir, fmt.Sprintf("section1-cpu-%s-%s.pprof", t.Name, s.Name)))
		}
		n := 0
		err := profileWhile(ctx, servers, files, opts.profileSeconds, func(ctx context.Context) {
			names := make([]string, 500)
			for i := range names {
				names[i] = fmt.Sprintf("prof-%06d", n+i)
			}
			n += len(names)
			createConcurrently(ctx, names, concurrency, t.target.Create)
		})
		if err != nil {
			r.fail(fmt.Errorf("%s: profiling: %w", t.Name, err))
			continue
		}
		logf("section 1: %s: CPU profiles under %d creates at c=%d: %v", t.Name, n, concurrency, files)
		r.Profiles = append(r.Profiles, files...)
	}
}

// split divides n into parts as equal as possible (larger parts first).
func split(n, parts int) []int {
	parts = max(1, min(parts, n))
	out := make([]int, parts)
	for i := range out {
		out[i] = n / parts
		if i < n%parts {
			out[i]++
		}
	}
	return out
}

// rotate returns ts starting at index k (mod len).
func rotate[T any](ts []T, k int) []T {
	if len(ts) == 0 {
		return ts
	}
	k %= len(ts)
	return append(append([]T{}, ts[k:]...), ts[:k]...)
}

// per10k scales a growth in bytes for objects objects to 10,000 objects.
func per10k(growth int64, objects int) int64 {
	if objects <= 0 {
		return 0
	}
	return growth * 10000 / int64(objects)
}
