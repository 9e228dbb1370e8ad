package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kube-service-catalog/catalog/test/framework/figures"
)

// sample is one line of the Prometheus text exposition format.
type sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// parseMetrics reads the Prometheus text format (comments, then
// `name{label="value",...} value [timestamp]` lines).
func parseMetrics(r io.Reader) ([]sample, error) {
	var out []sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		s, err := parseSample(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// parseSample parses one sample line.
func parseSample(text string) (sample, error) {
	s := sample{Labels: map[string]string{}}
	i := strings.IndexAny(text, "{ ")
	if i < 0 {
		return s, fmt.Errorf("no value in %q", text)
	}
	s.Name, text = text[:i], text[i:]
	if text[0] == '{' {
		rest, err := parseLabels(text[1:], s.Labels)
		if err != nil {
			return s, err
		}
		text = rest
	}
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return s, fmt.Errorf("no value for %s", s.Name)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, fmt.Errorf("value of %s: %w", s.Name, err)
	}
	s.Value = v
	return s, nil
}

// parseLabels parses `a="x",b="y"}` into labels and returns what follows the
// closing brace.
func parseLabels(text string, labels map[string]string) (string, error) {
	for {
		text = strings.TrimLeft(text, " ,")
		if strings.HasPrefix(text, "}") {
			return text[1:], nil
		}
		eq := strings.IndexByte(text, '=')
		if eq < 0 || len(text) < eq+2 || text[eq+1] != '"' {
			return "", fmt.Errorf("malformed labels near %q", text)
		}
		name := strings.TrimSpace(text[:eq])
		text = text[eq+2:]
		var value strings.Builder
		closed := false
		for j := 0; j < len(text); j++ {
			c := text[j]
			if c == '\\' && j+1 < len(text) {
				j++
				switch text[j] {
				case 'n':
					value.WriteByte('\n')
				default:
					value.WriteByte(text[j])
				}
				continue
			}
			if c == '"' {
				text = text[j+1:]
				closed = true
				break
			}
			value.WriteByte(c)
		}
		if !closed {
			return "", fmt.Errorf("unterminated label value of %s", name)
		}
		labels[name] = value.String()
	}
}

// scrape fetches and parses the metrics at url.
func scrape(ctx context.Context, client *http.Client, url string) ([]sample, error) {
	body, err := figures.HTTPGet(ctx, client, url)
	if err != nil {
		return nil, err
	}
	return parseMetrics(bytes.NewReader(body))
}

// gauge returns the value of the first sample called name, or 0.
func gauge(samples []sample, name string) float64 {
	for _, s := range samples {
		if s.Name == name {
			return s.Value
		}
	}
	return 0
}

// sumOf sums the samples called name whose labels include every pair of
// match.
func sumOf(samples []sample, name string, match map[string]string) float64 {
	total := 0.0
	for _, s := range samples {
		if s.Name != name {
			continue
		}
		ok := true
		for k, v := range match {
			ok = ok && s.Labels[k] == v
		}
		if ok {
			total += s.Value
		}
	}
	return total
}

// readVerbs are the request verbs that do not write.
var readVerbs = map[string]bool{"GET": true, "LIST": true, "WATCH": true, "WATCHLIST": true, "CONNECT": true}

// writeCounts sums apiserver_request_total over write verbs for the resources
// of group that keep returns true for, keyed "VERB resource[/subresource]".
// Conflicts (HTTP 409) are counted under "conflicts" as well.
func writeCounts(samples []sample, keep func(group, resource string) bool) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples {
		if s.Name != "apiserver_request_total" || readVerbs[s.Labels["verb"]] {
			continue
		}
		if !keep(s.Labels["group"], s.Labels["resource"]) {
			continue
		}
		key := s.Labels["verb"] + " " + s.Labels["resource"]
		if sub := s.Labels["subresource"]; sub != "" {
			key += "/" + sub
		}
		out[key] += s.Value
		if s.Labels["code"] == "409" {
			out["conflicts"] += s.Value
		}
	}
	return out
}

// delta returns after-before for every key, without zero entries.
func delta(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
