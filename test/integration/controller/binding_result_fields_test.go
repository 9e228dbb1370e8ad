package controller

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// bindingResultCatalog has plans whose binds answer every field of a binding besides the
// credentials: endpoints with a numeric port, metadata, a syslog drain URL with a
// password, a route service URL and a volume mount whose mount_config holds a password;
// synchronously, asynchronously (fetched with GET binding), and with credentials that
// have an endpoints key of their own.
const bindingResultCatalog = `
services:
- name: res-{id}
  id: res-{id}-service
  description: Bindings with every field
  bindable: true
  bindings_retrievable: true
  tags: [postgresql]
  plans:
  - name: sync
    id: res-{id}-sync
    description: synchronous binds
    metadata: {testBroker: {bindingFields: ` + bindingFieldsDoc + `}}
  - name: async
    id: res-{id}-async
    description: asynchronous binds
    metadata: {testBroker: {bind: {mode: async, asyncPolls: 1}, bindingFields: ` + bindingFieldsDoc + `}}
  - name: own-endpoints
    id: res-{id}-own
    description: credentials with their own endpoints key
    metadata: {testBroker: {credentials: {password: ` + resultPassword + `, endpoints: "primary:5432"}, bindingFields: ` + bindingFieldsDoc + `}}
`

// resultPassword is a credential value that must never reach the binding's status.
const resultPassword = "result-CREDENTIAL-4f2a"

const bindingFieldsDoc = `{
      endpoints: [{host: db.example.com, ports: [5432, "9000-9010"]}, {host: 10.0.0.7, ports: ["53"], protocol: udp}],
      metadata: {expires_at: "2031-02-03T04:05:06.0Z", renew_before: "2031-01-03T04:05:06Z"},
      syslog_drain_url: "syslog-tls://drain:` + resultPassword + `@logs.example.com:6514",
      route_service_url: "https://route.example.com/proxy",
      volume_mounts: [{driver: smbdriver, container_dir: /data, mode: rw, device_type: shared,
        device: {volume_id: vol-1, mount_config: {username: smb, password: ` + resultPassword + `}}}]}`

func TestBindingResultFields(t *testing.T) {
	e := newEnv(t, envOptions{catalog: bindingResultCatalog})
	wantStatus := &v1beta1.BindingCredentialsStatus{
		ExpiresAt:       &metav1.Time{Time: time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)},
		RenewBefore:     &metav1.Time{Time: time.Date(2031, 1, 3, 4, 5, 6, 0, time.UTC)},
		SyslogDrainURL:  "syslog-tls://drain:xxxxx@logs.example.com:6514",
		RouteServiceURL: "https://route.example.com/proxy",
		VolumeMounts: []runtime.RawExtension{{Raw: []byte(
			`{"driver":"smbdriver","container_dir":"/data","mode":"rw","device_type":"shared","device":{"volume_id":"vol-1"}}`)}},
	}
	endpoints := `[{"host":"db.example.com","ports":["5432","9000-9010"],"protocol":"tcp"},{"host":"10.0.0.7","ports":["53"],"protocol":"udp"}]`

	for _, tc := range []struct {
		plan, endpoints string
		requests        []string
	}{
		{"sync", endpoints, []string{"PUT bind 201"}},
		{"async", endpoints, []string{"PUT bind 202", "GET binding-poll 200", "GET binding-poll 200", "GET get-binding 200"}},
		{"own-endpoints", "primary:5432", []string{"PUT bind 201"}},
	} {
		t.Run(tc.plan, func(t *testing.T) {
			instance := e.provisioned("res-"+tc.plan, "res-{id}", tc.plan)
			created := e.createBinding(e.binding("res-"+tc.plan, instance.Name))
			ready := e.waitBindingReady(created.Name)
			if got := e.bindingRequests(created.Spec.ExternalID); !cmp.Equal(got, tc.requests) {
				t.Errorf("broker saw %v, want %v", got, tc.requests)
			}
			secret := e.secret(created.Name)
			if secret == nil {
				t.Fatalf("no Secret %s", created.Name)
			}
			if got := string(secret.Data["endpoints"]); got != tc.endpoints {
				t.Errorf("endpoints key = %s, want %s", got, tc.endpoints)
			}
			if diff := cmp.Diff(wantStatus, ready.Status.Credentials); diff != "" {
				t.Errorf("status.credentials (-want +got):\n%s", diff)
			}
			status, err := json.Marshal(ready.Status)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(status), resultPassword) {
				t.Errorf("a credential value is in the status: %s", status)
			}
		})
	}
}
