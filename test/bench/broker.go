package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"
)

// brokerRequest is the part of a test broker's recorded request
// (GET /admin/requests, docs/test-broker.md) the benchmark reads.
type brokerRequest struct {
	Seq    int64  `json:"seq"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
}

// brokerRequests returns the requests the test broker at url recorded after
// sequence number since.
func brokerRequests(ctx context.Context, url string, since int64) ([]brokerRequest, error) {
	client := &http.Client{Timeout: time.Minute}
	body, err := figures.HTTPGet(ctx, client, url+"/admin/requests?since="+strconv.FormatInt(since, 10))
	if err != nil {
		return nil, err
	}
	var out []brokerRequest
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decoding the broker's requests: %w", err)
	}
	return out, nil
}

// lastSeq returns the highest sequence number in reqs (since if none).
func lastSeq(reqs []brokerRequest, since int64) int64 {
	for _, r := range reqs {
		since = max(since, r.Seq)
	}
	return since
}

// osbCall classifies an OSB request, e.g. "PUT instance", "GET
// instance/last_operation", "PUT binding", and returns the instance id (or
// binding id for binding calls) it is about.
func osbCall(r brokerRequest) (kind, id string) {
	parts := strings.Split(strings.Trim(r.Path, "/"), "/")
	// v2 service_instances <id> [service_bindings <bid>] [last_operation]
	switch {
	case len(parts) >= 3 && parts[0] == "v2" && parts[1] == "service_instances":
		kind, id = "instance", parts[2]
		rest := parts[3:]
		if len(rest) >= 2 && rest[0] == "service_bindings" {
			kind, id = "binding", rest[1]
			rest = rest[2:]
		}
		if len(rest) > 0 {
			kind += "/" + strings.Join(rest, "/")
		}
	case len(parts) >= 2 && parts[0] == "v2":
		kind = strings.Join(parts[1:], "/")
	default:
		kind = r.Path
	}
	return r.Method + " " + kind, id
}

// brokerStats summarises broker calls for n objects of one kind ("instance"
// or "binding"): the PUTs per object id and every call by kind.
type brokerStats struct {
	// Objects is the number of objects created.
	Objects int `json:"objects"`
	// ObjectsWithPUT is how many distinct ids got a PUT; ExactlyOnePUT how
	// many got exactly one; MaxPUTs is the most any id got.
	ObjectsWithPUT int `json:"objectsWithPUT"`
	ExactlyOnePUT  int `json:"exactlyOnePUT"`
	MaxPUTs        int `json:"maxPUTs"`
	// PUTsPerObject and CallsPerObject are totals divided by Objects.
	PUTsPerObject  float64 `json:"putsPerObject"`
	CallsPerObject float64 `json:"callsPerObject"`
	// Calls counts every call by kind ("PUT instance": 1000, ...); Failed
	// counts answers of 400 and above.
	Calls  map[string]int `json:"calls"`
	Failed int            `json:"failed"`
}

// summarizeBrokerCalls counts the calls in reqs for objects of kind
// ("instance" or "binding").
func summarizeBrokerCalls(reqs []brokerRequest, kind string, objects int) brokerStats {
	s := brokerStats{Objects: objects, Calls: map[string]int{}}
	puts := map[string]int{}
	total := 0
	for _, r := range reqs {
		k, id := osbCall(r)
		s.Calls[k]++
		total++
		if r.Status >= 400 {
			s.Failed++
		}
		if k == "PUT "+kind {
			puts[id]++
		}
	}
	putTotal := 0
	for _, n := range puts {
		putTotal += n
		s.MaxPUTs = max(s.MaxPUTs, n)
		if n == 1 {
			s.ExactlyOnePUT++
		}
	}
	s.ObjectsWithPUT = len(puts)
	if objects > 0 {
		s.PUTsPerObject = float64(putTotal) / float64(objects)
		s.CallsPerObject = float64(total) / float64(objects)
	}
	return s
}
