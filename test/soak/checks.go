package main

import (
	"fmt"
	"slices"
	"sort"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// finding is one problem a check found, with what shows it.
type finding struct {
	// Check names the check: orphan, lost, duplicate-provision, ...
	Check string `json:"check"`
	// Object is the catalog object (kind namespace/name), when known.
	Object string `json:"object,omitempty"`
	// Broker and ID are the broker and the id it knows the resource by.
	Broker string `json:"broker,omitempty"`
	ID     string `json:"id,omitempty"`
	// Detail says what is wrong.
	Detail string `json:"detail"`
	// Evidence holds the object's conditions, the broker's history of the
	// id and controller log lines, added by the soak.
	Evidence []string `json:"evidence,omitempty"`
}

// liveIDs returns the external ids of the instances and bindings that exist
// in v, deleting or not.
func liveIDs(v *view) (instances, bindings map[string]bool) {
	instances, bindings = map[string]bool{}, map[string]bool{}
	for _, si := range v.instances {
		instances[si.Spec.ExternalID] = true
	}
	for _, sb := range v.bindings {
		bindings[sb.Spec.ExternalID] = true
	}
	return instances, bindings
}

// findOrphans lists what the brokers hold with no object in v: never made
// into one, or left behind after the object went. names maps external ids
// to the soak's objects, to say which one it was.
func findOrphans(v *view, recs []*brokerRecord, names map[string]string) []finding {
	insts, binds := liveIDs(v)
	var out []finding
	for _, r := range recs {
		for _, i := range r.Instances {
			if !insts[i.ID] {
				out = append(out, finding{Check: "orphan", Broker: r.Broker, ID: i.ID, Object: names[i.ID],
					Detail: fmt.Sprintf("the broker holds instance %s (plan %s, last operation %s %s, bindings %v) and no ServiceInstance has it", i.ID, i.PlanID, i.LastOperation, i.State, i.Bindings)})
			}
		}
		for _, b := range r.Bindings {
			if !binds[b.ID] {
				out = append(out, finding{Check: "orphan", Broker: r.Broker, ID: b.ID, Object: names[b.ID],
					Detail: fmt.Sprintf("the broker holds binding %s of instance %s (last operation %s %s) and no ServiceBinding has it", b.ID, b.InstanceID, b.LastOperation, b.State)})
			}
		}
	}
	return out
}

// held indexes what the brokers hold by id.
func held(recs []*brokerRecord) (map[string]broker.Instance, map[string]broker.Binding) {
	insts, binds := map[string]broker.Instance{}, map[string]broker.Binding{}
	for _, r := range recs {
		for _, i := range r.Instances {
			insts[i.ID] = i
		}
		for _, b := range r.Bindings {
			binds[b.ID] = b
		}
	}
	return insts, binds
}

// findMissingAtBroker lists Ready objects in v whose broker does not hold
// them (or holds them failed), and Ready instances whose plan or size at the
// broker is not their spec's. planIDs maps a plan's name to its id per
// broker offering.
func findMissingAtBroker(objs []*object, v *view, recs []*brokerRecord, planIDs map[string]map[string]string) []finding {
	insts, binds := held(recs)
	var out []finding
	for _, o := range objs {
		if st, _ := classify(o, v); st != stateReady {
			continue
		}
		if o.kind == kindBinding {
			if b, ok := binds[v.bindings[o.key()].Spec.ExternalID]; !ok || b.State != osb.StateSucceeded {
				out = append(out, finding{Check: "ready-not-at-broker", Object: "binding " + o.key(), ID: v.bindings[o.key()].Spec.ExternalID,
					Detail: fmt.Sprintf("Ready, but the broker holds it: %v (state %q)", ok, b.State)})
			}
			continue
		}
		si := v.instances[o.key()]
		i, ok := insts[si.Spec.ExternalID]
		want := planIDs[si.Spec.ClusterServiceClassExternalName][si.Spec.ClusterServicePlanExternalName]
		switch {
		case !ok || i.State == osb.StateFailed && i.LastOperation == osb.OperationProvision:
			out = append(out, finding{Check: "ready-not-at-broker", Object: "instance " + o.key(), ID: si.Spec.ExternalID,
				Detail: fmt.Sprintf("Ready, but the broker holds it: %v (%s %s)", ok, i.LastOperation, i.State)})
		case i.PlanID != want || brokerSize(i) != parametersSize(si.Spec.Parameters):
			out = append(out, finding{Check: "ready-not-at-broker", Object: "instance " + o.key(), ID: si.Spec.ExternalID,
				Detail: fmt.Sprintf("Ready with plan %s and size %d, but the broker has plan %s and size %d", want, parametersSize(si.Spec.Parameters), i.PlanID, brokerSize(i))})
		}
	}
	return out
}

// brokerSize is the size parameter the broker holds for an instance, or -1.
func brokerSize(i broker.Instance) int {
	if n, ok := i.Parameters["size"].(float64); ok {
		return int(n)
	}
	return -1
}

// findDuplicates lists the provisions (or binds, for op bind) of an id the
// broker held, with no deprovision (unbind) of it sent since the previous
// provision (bind) of it.
func findDuplicates(recs []*brokerRecord, op osb.Operation, names map[string]string) []finding {
	del := osb.OperationDeprovision
	if op == osb.OperationBind {
		del = osb.OperationUnbind
	}
	var out []finding
	for _, r := range recs {
		deleteSince := map[string]bool{}
		for _, ev := range r.History {
			id := eventID(ev)
			switch ev.Operation {
			case del:
				deleteSince[id] = true
			case op:
				if ev.Held && !deleteSince[id] {
					out = append(out, finding{Check: "duplicate-" + string(op), Broker: r.Broker, ID: id, Object: names[id],
						Detail: fmt.Sprintf("%s #%d at %s of an id the broker held, with no %s since the previous one (answered %d, fault %q)",
							op, ev.Seq, ev.Time.UTC().Format("15:04:05.000"), del, ev.Status, ev.Fault)})
				}
				deleteSince[id] = false
			}
		}
	}
	return out
}

// eventID is the id a history event is about: the binding's for binding
// operations, else the instance's.
func eventID(ev broker.HistoryEvent) string {
	if ev.BindingID != "" {
		return ev.BindingID
	}
	return ev.InstanceID
}

// perObject summarises the broker requests per object of one kind.
type perObject struct {
	Objects int    `json:"objects"`
	Total   int    `json:"total"`
	P50     int    `json:"p50"`
	P99     int    `json:"p99"`
	Max     int    `json:"max"`
	MaxID   string `json:"maxID,omitempty"`
	// MaxObject names the object of MaxID.
	MaxObject string `json:"maxObject,omitempty"`
}

// requestsPerObject counts the requests about each instance (binding
// requests apart) and about each binding.
func requestsPerObject(recs []*brokerRecord, names map[string]string) (instances, bindings perObject) {
	ic, bc := map[string]int{}, map[string]int{}
	for _, r := range recs {
		for _, ev := range r.History {
			if ev.BindingID != "" {
				bc[ev.BindingID]++
			} else {
				ic[ev.InstanceID]++
			}
		}
	}
	return summarizeCounts(ic, names), summarizeCounts(bc, names)
}

// summarizeCounts gives the percentiles of counts by id.
func summarizeCounts(counts map[string]int, names map[string]string) perObject {
	p := perObject{Objects: len(counts)}
	if len(counts) == 0 {
		return p
	}
	ids := make([]string, 0, len(counts))
	for id, n := range counts {
		ids = append(ids, id)
		p.Total += n
	}
	sort.Slice(ids, func(i, j int) bool {
		return counts[ids[i]] < counts[ids[j]] || counts[ids[i]] == counts[ids[j]] && ids[i] < ids[j]
	})
	vals := make([]int, len(ids))
	for i, id := range ids {
		vals[i] = counts[id]
	}
	p.P50, p.P99 = percentile(vals, 50), percentile(vals, 99)
	p.Max, p.MaxID = vals[len(vals)-1], ids[len(ids)-1]
	p.MaxObject = names[p.MaxID]
	return p
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []int, pct int) int {
	rank := (pct*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

// historyOf returns the history lines of id across the brokers, for evidence.
func historyOf(recs []*brokerRecord, id string, limit int) []string {
	var out []string
	for _, r := range recs {
		for _, ev := range r.History {
			if ev.InstanceID != id && ev.BindingID != id {
				continue
			}
			line := fmt.Sprintf("broker %s #%d %s %s %s status %d", r.Broker, ev.Seq, ev.Time.UTC().Format("15:04:05.000"), ev.Operation, ev.InstanceID, ev.Status)
			if ev.BindingID != "" {
				line += " binding " + ev.BindingID
			}
			if ev.Fault != "" {
				line += " fault " + string(ev.Fault)
			}
			if ev.Held {
				line += " held"
			}
			out = append(out, line)
		}
	}
	if len(out) > limit {
		out = slices.Concat(out[:limit/2], []string{fmt.Sprintf("... %d more ...", len(out)-limit)}, out[len(out)-limit/2:])
	}
	return out
}
