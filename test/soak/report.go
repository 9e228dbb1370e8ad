package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// report is the JSON written to _output/soak/<timestamp>.json.
type report struct {
	mu sync.Mutex

	Timestamp   string            `json:"timestamp"`
	Commit      string            `json:"commit"`
	Dirty       bool              `json:"dirty"`
	Flags       map[string]string `json:"flags"`
	Machine     machine           `json:"machine"`
	WallSeconds float64           `json:"wallSeconds"`
	// SetupSeconds is the start of every component and the brokers'
	// registration.
	SetupSeconds float64        `json:"setupSeconds"`
	Steps        []stepResult   `json:"steps"`
	Windows      []windowResult `json:"windows"`
	// KillPlan is where the API server and etcd kills were placed; Kills
	// are the kills done, controller-manager replicas included.
	KillPlan []killPoint `json:"killPlan"`
	Kills    []killEvent `json:"kills"`
	// ReplicaSelfExits are controller-manager replicas that exited on their
	// own and were restarted.
	ReplicaSelfExits []string `json:"replicaSelfExits"`
	// Brokers are the brokers' chaos counters.
	Brokers             []*brokerRecord `json:"brokers"`
	Checkpoints         []*checkpoint   `json:"checkpoints"`
	DuplicateProvisions []finding       `json:"duplicateProvisions"`
	DuplicateBinds      []finding       `json:"duplicateBinds"`
	RequestsPerInstance perObject       `json:"requestsPerInstance"`
	RequestsPerBinding  perObject       `json:"requestsPerBinding"`
	Leaks               *leakScan       `json:"leaks"`
	Targets             []target        `json:"targets"`
	// Errors are steps that failed (the run is then not conclusive);
	// Warnings are worth a look but change nothing.
	Errors   []string `json:"errors,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// machine describes where the soak ran.
type machine struct {
	CPUs          int    `json:"cpus"`
	GoVersion     string `json:"goVersion"`
	KubeVersion   string `json:"kubeVersion"`
	EtcdVersion   string `json:"etcdVersion"`
	LoadAvgBefore string `json:"loadAvgBefore"`
	LoadAvgAfter  string `json:"loadAvgAfter"`
}

// stepResult is one step of a fault window.
type stepResult struct {
	Name         string  `json:"name"`
	Acknowledged int     `json:"acknowledged"`
	Operations   int     `json:"operations"`
	Seconds      float64 `json:"seconds"`
}

// windowResult is one fault window.
type windowResult struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// checkpoint is the state once the faults stopped and the objects had
// -converge-timeout to converge.
type checkpoint struct {
	Name             string    `json:"name"`
	ConvergeSeconds  float64   `json:"convergeSeconds"`
	Tally            tally     `json:"tally"`
	NotConverged     []finding `json:"notConverged"`
	Lost             []finding `json:"lost"`
	Orphans          []finding `json:"orphans"`
	ReadyNotAtBroker []finding `json:"readyNotAtBroker"`
}

// converged is the share of the objects that converged, in percent.
func (c *checkpoint) converged() float64 {
	n := c.Tally.Objects - c.Tally.ByState[stateUnacknowledged]
	if n == 0 {
		return 100
	}
	return 100 * float64(n-len(c.NotConverged)) / float64(n)
}

// target is one of the soak's targets and whether the run met it.
type target struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Met   bool   `json:"met"`
}

// newReport starts the report of a run.
func newReport(o *options, start time.Time) *report {
	r := &report{
		Timestamp: start.UTC().Format(time.RFC3339), Flags: o.values,
		Machine: machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), KubeVersion: kubecluster.KubeVersion,
			EtcdVersion: kubecluster.EtcdVersion, LoadAvgBefore: figures.LoadAvg()},
	}
	r.Commit, r.Dirty = figures.GitState()
	return r
}

func (r *report) addError(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Errors = append(r.Errors, msg)
}

func (r *report) addWarning(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Warnings = append(r.Warnings, msg)
}

func (r *report) addStep(name string, done, total int, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Steps = append(r.Steps, stepResult{Name: name, Acknowledged: done, Operations: total, Seconds: d.Seconds()})
}

// evaluate sets the targets from the figures.
func (r *report) evaluate() {
	var orphans, lost, notConv, notAtBroker int
	conv := 100.0
	for _, c := range r.Checkpoints {
		orphans += len(c.Orphans)
		lost += len(c.Lost)
		notConv += len(c.NotConverged)
		notAtBroker += len(c.ReadyNotAtBroker)
		conv = min(conv, c.converged())
	}
	leaks := -1
	if r.Leaks != nil {
		leaks = r.Leaks.total()
	}
	complete := len(r.Checkpoints) == 2
	r.Targets = []target{
		{"0 orphans", fmt.Sprint(orphans), complete && orphans == 0},
		{"0 lost objects", fmt.Sprint(lost), complete && lost == 0},
		{"0 duplicate provisions", fmt.Sprint(len(r.DuplicateProvisions)), complete && len(r.DuplicateProvisions) == 0},
		{"100% converged after the faults stop", fmt.Sprintf("%.2f%% (%d not)", conv, notConv), complete && notConv == 0},
		{"0 Ready objects the broker does not hold as specified", fmt.Sprint(notAtBroker), complete && notAtBroker == 0},
		{"0 credential leaks", fmt.Sprint(leaks), leaks == 0},
	}
}

// exitCode is 0 when every target was met and no step failed.
func (r *report) exitCode() int {
	if len(r.Errors) > 0 {
		return 1
	}
	for _, t := range r.Targets {
		if !t.Met {
			return 1
		}
	}
	return 0
}

// injected sums the faults the brokers injected, by fault, and the requests
// they served through the chaos.
func (r *report) injected() (map[broker.Fault]int, uint64) {
	out := map[broker.Fault]int{}
	var reqs uint64
	for _, b := range r.Brokers {
		reqs += b.Chaos.Requests
		for f, n := range b.Chaos.Injected {
			out[f] += n
		}
	}
	return out, reqs
}
