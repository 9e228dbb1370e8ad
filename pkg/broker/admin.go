package broker

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// adminRoutes serves the admin API:
//
//	GET    /admin/requests[?since=N]   recorded OSB requests (JSON)
//	DELETE /admin/requests             forget them
//	GET    /admin/instances            instances held
//	DELETE /admin/instances/{id}       lose an instance and its bindings, as a broker that lost them would
//	GET    /admin/bindings             bindings held
//	GET    /admin/behaviors            behaviour of every plan
//	GET    /admin/behaviors/{plan}     behaviour of one plan (id, name or offering/plan)
//	PUT    /admin/behaviors/{plan}     override it (JSON or YAML Behavior)
//	DELETE /admin/behaviors/{plan}     remove the override
//	GET    /admin/catalog              the catalog document (JSON)
//	PUT    /admin/catalog              replace the catalog (YAML or JSON file content)
//	POST   /admin/reset                forget instances, bindings, requests and overrides
func (b *Broker) adminRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/requests", b.getRequests)
	mux.HandleFunc("DELETE /admin/requests", b.deleteRequests)
	mux.HandleFunc("GET /admin/instances", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, b.Instances())
	})
	mux.HandleFunc("DELETE /admin/instances/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !b.LoseInstance(r.PathValue("id")) {
			http.Error(w, "no such instance", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /admin/bindings", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, b.Bindings())
	})
	mux.HandleFunc("GET /admin/behaviors", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, b.Behaviors())
	})
	// {plan...}: an offering/plan name may come with its slash unescaped.
	mux.HandleFunc("GET /admin/behaviors/{plan...}", b.getBehavior)
	mux.HandleFunc("PUT /admin/behaviors/{plan...}", b.putBehavior)
	mux.HandleFunc("DELETE /admin/behaviors/{plan...}", b.deleteBehavior)
	mux.HandleFunc("GET /admin/catalog", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b.Catalog().JSON())
	})
	mux.HandleFunc("PUT /admin/catalog", b.putCatalog)
	mux.HandleFunc("POST /admin/reset", func(w http.ResponseWriter, _ *http.Request) {
		b.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	refuseOtherMethods(mux, "/admin/requests", "GET, DELETE")
	refuseOtherMethods(mux, "/admin/instances", "GET")
	refuseOtherMethods(mux, "/admin/bindings", "GET")
	refuseOtherMethods(mux, "/admin/behaviors", "GET")
	refuseOtherMethods(mux, "/admin/behaviors/{plan...}", "GET, PUT, DELETE")
	refuseOtherMethods(mux, "/admin/catalog", "GET, PUT")
	refuseOtherMethods(mux, "/admin/reset", "POST")
	mux.HandleFunc("/", writeNotFound)
	return mux
}

func (b *Broker) getRequests(w http.ResponseWriter, r *http.Request) {
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
}

func (b *Broker) deleteRequests(w http.ResponseWriter, _ *http.Request) {
	b.ResetRequests()
	w.WriteHeader(http.StatusNoContent)
}

func (b *Broker) getBehavior(w http.ResponseWriter, r *http.Request) {
	bh, override, err := b.Behavior(r.PathValue("plan"))
	if err != nil {
		writeError(w, http.StatusNotFound, "", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"override": override, "behavior": bh})
}

func (b *Broker) putBehavior(w http.ResponseWriter, r *http.Request) {
	bh, problem := readBehavior(w, r)
	if problem != "" {
		writeError(w, http.StatusBadRequest, "", problem)
		return
	}
	if err := b.SetBehavior(r.PathValue("plan"), bh); err != nil {
		status := http.StatusBadRequest
		if strings.HasPrefix(err.Error(), "no plan") {
			status = http.StatusNotFound
		}
		writeError(w, status, "", err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readBehavior decodes a JSON or YAML Behavior body; it returns the problem,
// or "".
func readBehavior(w http.ResponseWriter, r *http.Request) (Behavior, string) {
	var bh Behavior
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		return bh, "reading the behaviour failed"
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return bh, "the behaviour is not JSON or YAML: " + err.Error()
	}
	if err := bh.UnmarshalJSON(js); err != nil {
		return bh, "invalid behaviour: " + err.Error()
	}
	return bh, ""
}

func (b *Broker) deleteBehavior(w http.ResponseWriter, r *http.Request) {
	if err := b.ResetBehavior(r.PathValue("plan")); err != nil {
		writeError(w, http.StatusNotFound, "", err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (b *Broker) putCatalog(w http.ResponseWriter, r *http.Request) {
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
}

// serveDashboard shows an instance's offering, plan and state (no
// parameters or credentials), so dashboard_url leads somewhere in a demo.
func (b *Broker) serveDashboard(w http.ResponseWriter, r *http.Request) {
	inst, ok := b.Instance(r.PathValue("instance_id"))
	if !ok {
		writeError(w, http.StatusNotFound, "", "no such service instance")
		return
	}
	offering, plan := b.planNames(inst)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>%[1]s</title></head><body><h1>Service instance %[1]s</h1>"+
		"<p>Offering: %[2]s<br>Plan: %[3]s<br>Last operation: %[4]s (%[5]s)<br>Bindings: %[6]d</p></body></html>\n",
		html.EscapeString(inst.ID), html.EscapeString(offering), html.EscapeString(plan),
		html.EscapeString(string(inst.LastOperation)), html.EscapeString(string(inst.State)), len(inst.Bindings))
}

// planNames returns the names of an instance's offering and plan, or their
// ids when the catalog no longer has them.
func (b *Broker) planNames(inst Instance) (offering, plan string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ref, ok := b.plans[inst.PlanID]; ok {
		return ref.service.Name, ref.plan.Name
	}
	return inst.ServiceID, inst.PlanID
}
