package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/figures"
	"github.com/kube-service-catalog/catalog/test/framework/nodecluster"
)

// report is what the command prints and writes.
type report struct {
	Started          time.Time `json:"started"`
	Writers, Readers int
	// Rate is the most instances created per second.
	Rate     int
	Phases   []phase  `json:"phases"`
	Failover failover `json:"failover"`
	// LeaseDurationSeconds is the controller managers' lease duration.
	LeaseDurationSeconds float64 `json:"leaseDurationSeconds"`
	Acknowledged         int     `json:"acknowledged"`
	// Missing are acknowledged creates the API no longer has.
	Missing []string `json:"missing"`
	// NotReady are acknowledged instances not Ready once the faults ended.
	NotReady []string `json:"notReady"`
	// WatchGaps counts resumes the server refused (events may be lost);
	// NotDelivered are acknowledged creates the watch never delivered.
	WatchGaps       int64    `json:"watchGaps"`
	WatchReconnects int64    `json:"watchReconnects"`
	NotDelivered    []string `json:"notDelivered"`
	// Provisions counts provision requests at the broker; DuplicateProvisions
	// those for an instance the broker had already provisioned, with no
	// deprovision since.
	Provisions          int      `json:"provisions"`
	DuplicateProvisions []string `json:"duplicateProvisions"`
}

// phase is the load of one phase.
type phase struct {
	Name   string `json:"name"`
	Killed string `json:"killed,omitempty"`
	// Creates and Reads count requests as a client sees them; *Errors count
	// failed attempts, *Failed the requests that failed every attempt.
	Creates, CreateErrors, CreatesFailed int64
	Reads, ReadErrors, ReadsFailed       int64
	Acknowledged                         int `json:"acknowledged"`
}

// failover is how the controller managers failed over.
type failover struct {
	// LeaseMovedSeconds is from the kill until another replica held the Lease.
	LeaseMovedSeconds float64 `json:"leaseMovedSeconds"`
	// ResumedSeconds is from the kill until the new leader's first change to
	// an instance.
	ResumedSeconds float64 `json:"resumedSeconds"`
	// ProbeReadySeconds is from the kill until an instance created then was
	// Ready.
	ProbeReadySeconds float64 `json:"probeReadySeconds"`
}

// check fills in what the run left behind.
func (r *report) check(ctx context.Context, c *nodecluster.Cluster, l *load) error {
	acked := l.acknowledged()
	r.Acknowledged = len(acked)
	r.WatchGaps, r.WatchReconnects = l.watchGaps.Load(), l.watchReconnects.Load()
	r.NotDelivered = l.notDelivered()
	_ = wait.PollUntilContextTimeout(ctx, 2*time.Second, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		r.Missing, r.NotReady = nil, nil
		for _, name := range acked {
			inst, err := l.instances.Get(ctx, name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				r.Missing = append(r.Missing, name)
			case err != nil || !meta.IsStatusConditionTrue(inst.Status.Conditions, "Ready"):
				r.NotReady = append(r.NotReady, name)
			}
		}
		return len(r.NotReady) == 0, nil
	})
	return r.checkBroker(ctx, c)
}

// provisionPath matches the path of a provision or deprovision request.
var provisionPath = regexp.MustCompile(`^/v2/service_instances/([^/]+)$`)

// checkBroker counts provisions and duplicate provisions in the test broker's
// request record.
func (r *report) checkBroker(ctx context.Context, c *nodecluster.Cluster) error {
	svc, err := c.Clientset("admin").CoreV1().Services("brokers").Get(ctx, "test-broker", metav1.GetOptions{})
	if err != nil {
		return err
	}
	body, err := figures.HTTPGet(ctx, http.DefaultClient, "http://"+svc.Spec.ClusterIP+":8080/admin/requests")
	if err != nil {
		return err
	}
	var records []struct {
		Method string `json:"method"`
		Path   string `json:"path"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(body, &records); err != nil {
		return fmt.Errorf("the broker's request record: %w", err)
	}
	held := map[string]bool{}
	for _, rec := range records {
		m := provisionPath.FindStringSubmatch(rec.Path)
		if m == nil {
			continue
		}
		switch rec.Method {
		case http.MethodPut:
			r.Provisions++
			if held[m[1]] {
				r.DuplicateProvisions = append(r.DuplicateProvisions, m[1])
			}
			if rec.Status >= 200 && rec.Status < 300 {
				held[m[1]] = true
			}
		case http.MethodDelete:
			held[m[1]] = false
		}
	}
	return nil
}

// print writes the figures as a table and a summary.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\nbench-ha: 3 API server replicas, 3 etcd members (TLS), 2 controller managers; %d writers (at most %d creates/s), %d readers\n\n", r.Writers, r.Rate, r.Readers)
	fmt.Fprintf(w, "%-44s %8s %10s %8s %7s %10s %8s  %s\n", "phase", "creates", "attempts✗", "failed", "reads", "attempts✗", "failed", "killed")
	for _, p := range r.Phases {
		fmt.Fprintf(w, "%-44s %8d %10d %8d %7d %10d %8d  %s\n", p.Name, p.Creates, p.CreateErrors, p.CreatesFailed, p.Reads, p.ReadErrors, p.ReadsFailed, p.Killed)
	}
	fmt.Fprintf(w, "\n(attempts✗: attempts that failed, which a client retried; failed: requests that failed %d attempts)\n\n", attempts)
	fmt.Fprintf(w, "acknowledged creates:                  %d\n", r.Acknowledged)
	fmt.Fprintf(w, "acknowledged, later missing:           %d\n", len(r.Missing))
	fmt.Fprintf(w, "not Ready after the faults (5 min):    %d\n", len(r.NotReady))
	fmt.Fprintf(w, "watch: reconnects %d, gaps (410) %d, acknowledged never delivered %d\n", r.WatchReconnects, r.WatchGaps, len(r.NotDelivered))
	fmt.Fprintf(w, "controller fail-over: Lease moved after %.1f s, the new leader's first change after %.1f s, an instance created at the kill Ready after %.1f s (lease duration %.0f s)\n",
		r.Failover.LeaseMovedSeconds, r.Failover.ResumedSeconds, r.Failover.ProbeReadySeconds, r.LeaseDurationSeconds)
	fmt.Fprintf(w, "provisions at the broker:              %d, duplicates %d\n", r.Provisions, len(r.DuplicateProvisions))
}
