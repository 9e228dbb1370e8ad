package broker

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// PlanBehavior is one entry of GET /admin/behaviors.
type PlanBehavior struct {
	// Offering is the offering name.
	Offering string `json:"offering"`
	// Plan is the plan name.
	Plan string `json:"plan"`
	// PlanID is the plan id.
	PlanID string `json:"planID"`
	// Override is true when the behaviour was set at run time.
	Override bool `json:"override"`
	// Behavior is the behaviour in effect.
	Behavior Behavior `json:"behavior"`
}

// Behaviors lists the behaviour in effect for every plan, in catalog order.
func (b *Broker) Behaviors() []PlanBehavior {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []PlanBehavior
	for i := range b.catalog.Services {
		s := &b.catalog.Services[i]
		for j := range s.Plans {
			p := &s.Plans[j]
			pb := PlanBehavior{Offering: s.Name, Plan: p.Name, PlanID: p.ID}
			pb.Behavior, _ = b.behaviorLocked(p.ID)
			_, pb.Override = b.overrides[p.ID]
			out = append(out, pb)
		}
	}
	return out
}

// serveAdmin serves the admin API:
//
//	GET    /admin/requests[?since=N]   recorded OSB requests (JSON)
//	DELETE /admin/requests             forget them
//	GET    /admin/instances            instances held
//	GET    /admin/bindings             bindings held
//	GET    /admin/behaviors            behaviour of every plan
//	GET    /admin/behaviors/{plan}     behaviour of one plan (id, name or offering/plan)
//	PUT    /admin/behaviors/{plan}     override it (JSON or YAML Behavior)
//	DELETE /admin/behaviors/{plan}     remove the override
//	GET    /admin/catalog              the catalog document (JSON)
//	PUT    /admin/catalog              replace the catalog (YAML or JSON file content)
//	POST   /admin/reset                forget instances, bindings, requests and overrides
func (b *Broker) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.EscapedPath(), "/admin"), "/")
	switch {
	case path == "/requests":
		switch r.Method {
		case http.MethodGet:
			var since uint64
			if s := r.URL.Query().Get("since"); s != "" {
				n, err := strconv.ParseUint(s, 10, 64)
				if err != nil {
					writeError(w, http.StatusBadRequest, "", "since must be a request sequence number")
					return
				}
				since = n
			}
			writeJSON(w, http.StatusOK, b.RequestsSince(since))
		case http.MethodDelete:
			b.ResetRequests()
			w.WriteHeader(http.StatusNoContent)
		default:
			adminMethodNotAllowed(w, "GET, DELETE")
		}
	case path == "/instances":
		if r.Method != http.MethodGet {
			adminMethodNotAllowed(w, "GET")
			return
		}
		writeJSON(w, http.StatusOK, b.Instances())
	case path == "/bindings":
		if r.Method != http.MethodGet {
			adminMethodNotAllowed(w, "GET")
			return
		}
		writeJSON(w, http.StatusOK, b.Bindings())
	case path == "/behaviors":
		if r.Method != http.MethodGet {
			adminMethodNotAllowed(w, "GET")
			return
		}
		writeJSON(w, http.StatusOK, b.Behaviors())
	case strings.HasPrefix(path, "/behaviors/"):
		plan, err := url.PathUnescape(strings.TrimPrefix(path, "/behaviors/"))
		if err != nil {
			writeError(w, http.StatusBadRequest, "", "bad plan in path")
			return
		}
		b.serveAdminBehavior(w, r, plan)
	case path == "/catalog":
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b.Catalog().JSON())
		case http.MethodPut:
			data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<20))
			if err != nil {
				writeError(w, http.StatusBadRequest, "", "reading the catalog failed")
				return
			}
			c, err := ParseCatalog(data)
			if err != nil {
				writeError(w, http.StatusBadRequest, "", err.Error())
				return
			}
			b.SetCatalog(c)
			w.WriteHeader(http.StatusNoContent)
		default:
			adminMethodNotAllowed(w, "GET, PUT")
		}
	case path == "/reset":
		if r.Method != http.MethodPost {
			adminMethodNotAllowed(w, "POST")
			return
		}
		b.Reset()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusNotFound, "", "not found")
	}
}

func (b *Broker) serveAdminBehavior(w http.ResponseWriter, r *http.Request, plan string) {
	switch r.Method {
	case http.MethodGet:
		bh, override, err := b.Behavior(plan)
		if err != nil {
			writeError(w, http.StatusNotFound, "", err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"override": override, "behavior": bh})
	case http.MethodPut:
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, "", "reading the behaviour failed")
			return
		}
		js, err := yaml.YAMLToJSON(data)
		if err != nil {
			writeError(w, http.StatusBadRequest, "", "the behaviour is not JSON or YAML: "+err.Error())
			return
		}
		var bh Behavior
		if err := bh.UnmarshalJSON(js); err != nil {
			writeError(w, http.StatusBadRequest, "", "invalid behaviour: "+err.Error())
			return
		}
		if err := b.SetBehavior(plan, bh); err != nil {
			status := http.StatusBadRequest
			if strings.HasPrefix(err.Error(), "no plan") {
				status = http.StatusNotFound
			}
			writeError(w, status, "", err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		if err := b.ResetBehavior(plan); err != nil {
			writeError(w, http.StatusNotFound, "", err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		adminMethodNotAllowed(w, "GET, PUT, DELETE")
	}
}

func adminMethodNotAllowed(w http.ResponseWriter, allowed string) {
	w.Header().Set("Allow", allowed)
	writeError(w, http.StatusMethodNotAllowed, "", "method not allowed")
}

// serveDashboard shows an instance's offering, plan and state (no
// parameters or credentials), so dashboard_url leads somewhere in a demo.
func (b *Broker) serveDashboard(w http.ResponseWriter, r *http.Request) {
	id, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/dashboard/instances/"))
	if err != nil || r.Method != http.MethodGet {
		writeError(w, http.StatusNotFound, "", "not found")
		return
	}
	inst, ok := b.Instance(id)
	if !ok {
		writeError(w, http.StatusNotFound, "", "no such service instance")
		return
	}
	offering, plan := inst.ServiceID, inst.PlanID
	b.mu.Lock()
	if ref, ok := b.plans[inst.PlanID]; ok {
		offering, plan = ref.service.Name, ref.plan.Name
	}
	b.mu.Unlock()
	bindings := append([]string(nil), inst.Bindings...)
	sort.Strings(bindings)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>%[1]s</title></head><body><h1>Service instance %[1]s</h1>"+
		"<p>Offering: %[2]s<br>Plan: %[3]s<br>Last operation: %[4]s (%[5]s)<br>Bindings: %[6]d</p></body></html>\n",
		html.EscapeString(inst.ID), html.EscapeString(offering), html.EscapeString(plan),
		html.EscapeString(string(inst.LastOperation)), html.EscapeString(string(inst.State)), len(bindings))
}
