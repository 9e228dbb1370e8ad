package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"
)

// scaleReads is what one reader of section 4 measured at one size, by read
// kind (readKind.key).
type scaleReads struct {
	Target string                  `json:"target"`
	Reads  map[string]*listSummary `json:"reads"`
}

// readKind is one of the reads section 4 times at every size.
type readKind struct {
	// key names it in the JSON report, label in the printed table.
	key, label string
	// read reads with t (pageSize is -page-size).
	read func(ctx context.Context, t *apiTarget, pageSize int64) (listResult, error)
	// want is how many objects it must return when stored objects are
	// stored at size.
	want func(stored, size int) int
}

// readKinds are section 4's reads, in the order they are taken and printed.
var readKinds = []readKind{
	{
		key: "allNamespaces", label: "all namespaces",
		read: func(ctx context.Context, t *apiTarget, _ int64) (listResult, error) {
			return t.listIn(ctx, "", nil, mediaJSON)
		},
		want: func(stored, _ int) int { return stored },
	},
	{
		key: "oneNamespace", label: "one namespace",
		read: func(ctx context.Context, t *apiTarget, _ int64) (listResult, error) {
			return t.listIn(ctx, scaleNamespace(0), nil, mediaJSON)
		},
		want: func(_, size int) int { return min(size, scaleNamespaceSize) },
	},
	{
		key: "fieldSelector", label: "field selector",
		read: func(ctx context.Context, t *apiTarget, _ int64) (listResult, error) {
			return t.listIn(ctx, "", url.Values{"fieldSelector": {"metadata.name=si-000000"}}, mediaJSON)
		},
		want: func(int, int) int { return 1 },
	},
	{
		key: "paginated", label: "paginated",
		read: func(ctx context.Context, t *apiTarget, pageSize int64) (listResult, error) {
			return t.pagedIn(ctx, "", pageSize)
		},
		want: func(stored, _ int) int { return stored },
	},
	{
		key: "watchStart", label: "watch start",
		read: func(ctx context.Context, t *apiTarget, _ int64) (listResult, error) { return t.watchList(ctx) },
		want: func(stored, _ int) int { return stored },
	},
}

// reads takes every read kind -scale-reps times per reader, readers in turn,
// and checks that each returned every object it should.
func (s *scaleEnv) reads(ctx context.Context, size int) ([]*scaleReads, error) {
	byName := map[string]*scaleReads{}
	var out []*scaleReads
	for _, t := range s.readers {
		r := &scaleReads{Target: t.name, Reads: map[string]*listSummary{}}
		for _, k := range readKinds {
			r.Reads[k.key] = &listSummary{}
		}
		byName[t.name] = r
		out = append(out, r)
	}
	for rep := range s.opts.scaleReps {
		for _, t := range rotate(s.readers, rep) {
			stored := s.instances
			if t.gvr == crdInstances {
				stored = s.crdObjects
			}
			for _, k := range readKinds {
				res, err := k.read(ctx, t, s.opts.pageSize)
				if want := k.want(stored, size); err == nil && res.Items != want {
					err = fmt.Errorf("read %d objects, want %d", res.Items, want)
				}
				if err != nil {
					return out, fmt.Errorf("%s: %s: %w", t.name, k.label, err)
				}
				byName[t.name].Reads[k.key].add(res)
			}
		}
		s.f.logf("section 4: size %s: reads round %d/%d done", count(size), rep+1, s.opts.scaleReps)
	}
	for _, r := range out {
		for _, l := range r.Reads {
			l.finish()
		}
	}
	return out, nil
}

// initialEventsEnd is the annotation of the bookmark that ends a watch's
// initial events, as it appears in a JSON watch event.
var initialEventsEnd = []byte(`"k8s.io/initial-events-end":"true"`)

// watchList starts a watch of every namespace that first sends every stored
// object (sendInitialEvents=true, as informers start with WatchList) and
// reads it, one JSON event a line, until the bookmark that ends the initial
// events: Items is the number of objects streamed, Duration the time from
// the request to the bookmark. Events are counted, not decoded.
func (t *apiTarget) watchList(ctx context.Context) (listResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := url.Values{"watch": {"1"}, "sendInitialEvents": {"true"}, "resourceVersionMatch": {"NotOlderThan"}, "allowWatchBookmarks": {"true"}}
	u := t.listURL("", q)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return listResult{}, err
	}
	req.Header.Set("Accept", mediaJSON)
	req.Header.Set("User-Agent", "catalog-bench")
	start := time.Now()
	resp, err := t.http.Do(req)
	if err != nil {
		return listResult{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return listResult{}, fmt.Errorf("WATCH %s: HTTP %d: %s", u, resp.StatusCode, figures.Snippet(body))
	}
	res := listResult{Pages: 1}
	br := bufio.NewReaderSize(resp.Body, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		res.Bytes += int64(len(line))
		switch {
		case bytes.HasPrefix(line, []byte(`{"type":"ADDED"`)):
			res.Items++
		case bytes.HasPrefix(line, []byte(`{"type":"BOOKMARK"`)) && bytes.Contains(line, initialEventsEnd):
			res.Duration = time.Since(start)
			return res, nil
		case bytes.HasPrefix(line, []byte(`{"type":"ERROR"`)):
			return res, fmt.Errorf("WATCH %s: %s", u, figures.Snippet(line))
		}
		if err != nil {
			return res, fmt.Errorf("WATCH %s ended after %d objects without the initial-events-end bookmark: %w", u, res.Items, err)
		}
	}
}
