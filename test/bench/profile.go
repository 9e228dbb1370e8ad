package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/kube-service-catalog/catalog/test/framework/figures"
)

// profileWhile takes a CPU profile of seconds from every server at once
// (GET /debug/pprof/profile, saved to the matching file) and calls load
// repeatedly until all profiles are written.
func profileWhile(ctx context.Context, servers []goServer, files []string, seconds int, load func(ctx context.Context)) error {
	var wg sync.WaitGroup
	errs := make([]error, len(servers))
	for i, s := range servers {
		wg.Go(func() {
			body, err := figures.HTTPGet(ctx, s.Client, s.Base+"/debug/pprof/profile?seconds="+strconv.Itoa(seconds))
			if err == nil {
				err = os.WriteFile(files[i], body, 0o644)
			}
			if err != nil {
				errs[i] = fmt.Errorf("CPU profile of %s: %w", s.Name, err)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for {
		select {
		case <-done:
			return errors.Join(errs...)
		case <-ctx.Done():
			<-done
			return ctx.Err()
		default:
			load(ctx)
		}
	}
}
