package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunFlagsAndShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--port", "0", "--username", "u", "--password", "p", "--min-api-version", "2.14", "-v", "4"}, pw, io.Discard)
		_ = pw.Close()
	}()
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(pr)
		if s.Scan() {
			line <- s.Text()
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	var url string
	select {
	case url = <-line:
	case err := <-done:
		t.Fatalf("run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no URL printed")
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("URL = %q", url)
	}
	get := func(version string) int {
		req, _ := http.NewRequest(http.MethodGet, url+"/v2/catalog", nil)
		req.SetBasicAuth("u", "p")
		req.Header.Set("X-Broker-API-Version", version)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("2.14"); got != 200 {
		t.Errorf("2.14: %d", got)
	}
	if got := get("2.13"); got != 412 {
		t.Errorf("2.13 below --min-api-version: %d", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"extra-arg"}, {"--address", "not-an-ip"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

func TestHelpIsNotAFailure(t *testing.T) {
	var usage strings.Builder
	if err := run(context.Background(), []string{"--help"}, io.Discard, &usage); err != nil {
		t.Errorf("run --help: %v", err)
	}
	if !strings.Contains(usage.String(), "-port") {
		t.Errorf("run --help printed no usage:\n%s", usage.String())
	}
	if err := run(context.Background(), []string{"--no-such-flag"}, io.Discard, io.Discard); err == nil {
		t.Error("run --no-such-flag: no error")
	}
}
