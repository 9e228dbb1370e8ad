package controller

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
	"k8s.io/component-base/metrics/legacyregistry"
)

// TestMetricsAreExported checks, after a provision, that the controller-manager's metrics
// (served on its health address) count broker calls, syncs, queue work and time to Ready.
func TestMetricsAreExported(t *testing.T) {
	e := newEnv(t, envOptions{catalog: defaultCatalog})
	created := e.createInstance(e.instance("db", "db-{id}", "small", ""))
	e.waitInstanceReady(created.Name)

	families, err := legacyregistry.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	hasSample := func(name string, labels map[string]string) bool {
		f := byName[name]
		if f == nil {
			return false
		}
	metrics:
		for _, m := range f.GetMetric() {
			for k, v := range labels {
				found := false
				for _, l := range m.GetLabel() {
					if l.GetName() == k && l.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil && m.GetCounter().GetValue() > 0,
				m.GetHistogram() != nil && m.GetHistogram().GetSampleCount() > 0,
				m.GetGauge() != nil:
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"servicecatalog_osb_requests_total", map[string]string{"broker": e.brokerName, "operation": "provision", "result": "2xx"}},
		{"servicecatalog_osb_requests_total", map[string]string{"broker": e.brokerName, "operation": "getCatalog", "result": "2xx"}},
		{"servicecatalog_osb_request_duration_seconds", map[string]string{"broker": e.brokerName, "operation": "provision"}},
		{"servicecatalog_controller_syncs_total", map[string]string{"controller": "serviceinstance", "result": "success"}},
		{"servicecatalog_controller_sync_duration_seconds", map[string]string{"controller": "broker"}},
		{"workqueue_depth", map[string]string{"name": "serviceinstance"}},
		{"workqueue_adds_total", map[string]string{"name": "serviceinstance"}},
		{"servicecatalog_instance_create_to_ready_seconds", nil},
	} {
		if !hasSample(c.name, c.labels) {
			t.Errorf("no sample of %s%v", c.name, c.labels)
		}
	}
}
