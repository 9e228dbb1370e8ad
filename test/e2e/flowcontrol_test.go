package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// flowControlName names the FlowSchema and the PriorityLevelConfiguration of
// artifacts/deploy/flowcontrol.
const flowControlName = "service-catalog-controller"

// The headers in which API Priority and Fairness names the FlowSchema and
// the priority level a request was classified into.
const (
	headerFlowSchemaUID    = "X-Kubernetes-PF-FlowSchema-UID"
	headerPriorityLevelUID = "X-Kubernetes-PF-PriorityLevel-UID"
)

// flowControlRequest is a request whose classification the test checks.
type flowControlRequest struct {
	what, method, path, body string
	// core is set for requests kube-apiserver alone serves.
	core bool
}

// TestFlowControlControllerFirst: the controller manager's requests are
// assigned the service-catalog-controller FlowSchema and priority level of
// artifacts/deploy/flowcontrol, by kube-apiserver (which fronts the catalog's
// API) and by the catalog API server itself (requests sent to it straight),
// so they do not queue behind users' bulk traffic; alice's are not.
func TestFlowControlControllerFirst(t *testing.T) {
	requireStack(t)
	ctx := t.Context()
	fc := stack.Cluster.Clientset(admin).FlowcontrolV1()
	fs, err := fc.FlowSchemas().Get(ctx, flowControlName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := fc.PriorityLevelConfigurations().Get(ctx, flowControlName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fs.Spec.PriorityLevelConfiguration.Name != pl.Name || pl.Spec.Type != flowcontrolv1.PriorityLevelEnablementLimited {
		t.Fatalf("FlowSchema %s points at %q, priority level type %s", fs.Name, fs.Spec.PriorityLevelConfiguration.Name, pl.Spec.Type)
	}

	catalog := "/apis/" + catalogstack.Group + "/" + catalogstack.Version
	requests := []flowControlRequest{
		{what: "list classes", method: http.MethodGet, path: catalog + "/clusterserviceclasses?limit=1"},
		// A dry run on a broker nobody made: the answer is 404, but the
		// request is classified before it is served.
		{what: "status patch", method: http.MethodPatch, path: catalog + "/clusterservicebrokers/flowcontrol-absent/status?dryRun=All", body: "{}"},
		{what: "read namespace", method: http.MethodGet, path: "/api/v1/namespaces/service-catalog", core: true},
		{what: "read lease", method: http.MethodGet, path: "/apis/coordination.k8s.io/v1/namespaces/service-catalog/leases/catalog-controller-manager", core: true},
	}
	servers := []struct {
		name   string
		config func(user string) (*rest.Config, error)
		core   bool
	}{
		{name: "kube-apiserver", core: true, config: func(user string) (*rest.Config, error) {
			return stack.Cluster.Config(user), nil
		}},
		{name: "catalog API server", config: stack.DirectConfig},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			controller := flowControlClient(t, srv.config, catalogstack.ControllerManagerIdentity)
			user := flowControlClient(t, srv.config, alice)
			for _, r := range requests {
				if r.core && !srv.core {
					continue
				}
				// Every server on the way classifies the request and says
				// so: kube-apiserver, and for the catalog's API through it
				// the catalog API server too, whose headers the aggregator
				// passes on.
				hops := 1
				if srv.core && !r.core {
					hops = 2
				}
				// The servers load flow-control objects through informers,
				// so the classification may lag behind the objects.
				eventually(t, pollTimeout, "the controller manager's "+r.what+" classified as "+flowControlName, func() (bool, string) {
					fsUIDs, plUIDs, err := classification(ctx, controller, r)
					if err != nil {
						return false, err.Error()
					}
					return allUID(fsUIDs, hops, fs.UID) && allUID(plUIDs, hops, pl.UID),
						fmt.Sprintf("FlowSchema UIDs %q, priority level UIDs %q, want %d times %s, %s", fsUIDs, plUIDs, hops, fs.UID, pl.UID)
				})
				fsUIDs, plUIDs, err := classification(ctx, user, r)
				if err != nil {
					t.Fatal(err)
				}
				// alice may not patch status: kube-apiserver refuses it
				// without passing it on, after classifying it.
				if len(fsUIDs) == 0 || len(plUIDs) == 0 || slices.Contains(fsUIDs, string(fs.UID)) || slices.Contains(plUIDs, string(pl.UID)) {
					t.Errorf("alice's %s: FlowSchema UIDs %q, priority level UIDs %q; want others than %s, %s", r.what, fsUIDs, plUIDs, fs.UID, pl.UID)
				}
			}
		})
	}
}

// flowControlClient returns a client that sends requests as user to the
// server of config.
func flowControlClient(t *testing.T, config func(string) (*rest.Config, error), user string) *userClient {
	t.Helper()
	cfg, err := config(user)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdleConnections)
	return &userClient{host: strings.TrimSuffix(cfg.Host, "/"), client: hc}
}

// userClient sends requests as one user to one server.
type userClient struct {
	host   string
	client *http.Client
}

// classification sends r and returns the values of the response's
// FlowSchema and priority level UID headers, whatever its status.
func classification(ctx context.Context, c *userClient, r flowControlRequest) (flowSchemaUIDs, priorityLevelUIDs []string, err error) {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.host+r.path, body)
	if err != nil {
		return nil, nil, err
	}
	if r.method == http.MethodPatch {
		req.Header.Set("Content-Type", string(types.MergePatchType))
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Header.Values(headerFlowSchemaUID), resp.Header.Values(headerPriorityLevelUID), nil
}

// allUID reports whether values are n times uid.
func allUID(values []string, n int, uid types.UID) bool {
	return len(values) == n && !slices.ContainsFunc(values, func(v string) bool { return v != string(uid) })
}
