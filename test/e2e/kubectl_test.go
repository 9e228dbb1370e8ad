package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKubectlThroughAggregator: the everyday kubectl verbs on
// catalog objects through kube-apiserver's aggregator: applying the
// examples, tables with our columns, watch, server-side apply, diff, server
// dry-run, wait on a condition and field selectors. The subtests share the
// namespace and build on each other.
func TestKubectlThroughAggregator(t *testing.T) {
	requireStack(t)
	const ns = "e2e-kubectl"
	createNamespace(t, ns)

	t.Run("apply examples", func(t *testing.T) {
		// broker.yaml is applied pointed at this stack's broker (see
		// brokerManifest); instance.yaml and binding.yaml as they are.
		ensureDemoBroker(t)
		out := kubectl(t, admin, "apply", "-n", ns,
			"-f", repoFile(t, "artifacts/examples/instance.yaml"),
			"-f", repoFile(t, "artifacts/examples/binding.yaml"))
		for _, want := range []string{
			"serviceinstance.servicecatalog.k8s.io/" + exampleInstance + " created",
			"servicebinding.servicecatalog.k8s.io/" + exampleBinding + " created",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("kubectl apply printed %q, want %q in it", out, want)
			}
		}
	})

	t.Run("get with our columns", func(t *testing.T) {
		for _, c := range []struct {
			resource string
			columns  []string // besides NAME and AGE
			row      []string // cells of the example's row, after NAME
			name     string
		}{
			{"csb", []string{"URL", "STATUS"}, []string{stack.BrokerURL}, demoBrokerName},
			{"csc", []string{"EXTERNAL-NAME", "BROKER"}, []string{demoClass, demoBrokerName}, ""},
			{"csp", []string{"EXTERNAL-NAME", "BROKER", "CLASS"}, []string{demoPlan, demoBrokerName, demoClass}, ""},
			{"si", []string{"CLASS", "PLAN", "STATUS"}, []string{demoClass, demoPlan}, exampleInstance},
			{"sb", []string{"SERVICE-INSTANCE", "SECRET-NAME", "STATUS"}, []string{exampleInstance, exampleBinding}, exampleBinding},
		} {
			out := kubectl(t, admin, "get", c.resource, "-n", ns)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			header := strings.Fields(lines[0])
			if header[0] != "NAME" || header[len(header)-1] != "AGE" || !containsInOrder(header, c.columns) {
				t.Errorf("kubectl get %s: header %v, want NAME %v ... AGE", c.resource, header, c.columns)
			}
			found := false
			for _, l := range lines[1:] {
				f := strings.Fields(l)
				if (c.name == "" || f[0] == c.name) && containsInOrder(f[1:], c.row) {
					found = true
				}
			}
			if !found {
				t.Errorf("kubectl get %s: no row with %s %v:\n%s", c.resource, c.name, c.row, out)
			}
		}
		// All at once, as the issue has it.
		out := kubectl(t, admin, "get", "csb,csc,csp,si,sb", "-n", ns)
		for _, kind := range []string{"clusterservicebroker", "clusterserviceclass", "clusterserviceplan", "serviceinstance", "servicebinding"} {
			if !strings.Contains(out, kind+".servicecatalog.k8s.io/") {
				t.Errorf("kubectl get csb,csc,csp,si,sb lists no %s:\n%s", kind, out)
			}
		}
		// -o wide adds the priority-1 columns.
		wide := strings.Fields(strings.SplitN(kubectl(t, admin, "get", "si", "-n", ns, "-o", "wide"), "\n", 2)[0])
		if !containsInOrder(wide, []string{"CLASS", "PLAN", "STATUS", "AGE", "BROKER", "EXTERNAL-ID"}) {
			t.Errorf("kubectl get si -o wide: header %v", wide)
		}
	})

	t.Run("watch sees a change", func(t *testing.T) {
		testWatch(t, ns)
	})

	t.Run("server-side apply", func(t *testing.T) {
		manifest := func(storage int) string {
			return instanceManifest("ssa-db", fmt.Sprintf("{storageGB: %d}", storage))
		}
		out := kubectlIn(t, admin, manifest(10), "apply", "--server-side", "--field-manager=e2e", "-n", ns, "-f", "-")
		if !strings.Contains(out, "serviceinstance.servicecatalog.k8s.io/ssa-db serverside-applied") {
			t.Errorf("kubectl apply --server-side printed %q", out)
		}
		kubectlIn(t, admin, manifest(20), "apply", "--server-side", "--field-manager=e2e", "-n", ns, "-f", "-")
		got := kubectl(t, admin, "get", "si", "ssa-db", "-n", ns, "-o",
			`jsonpath={.metadata.generation} {.spec.parameters.storageGB} {.metadata.managedFields[?(@.manager=="e2e")].operation}`)
		if got != "2 20 Apply" {
			t.Errorf("after two server-side applies: generation, storageGB, e2e's operation = %q, want \"2 20 Apply\"", got)
		}
		// Another manager changing a field e2e owns is a conflict.
		_, errOut, err := runKubectl(t, admin, manifest(30), "apply", "--server-side", "--field-manager=intruder", "-n", ns, "-f", "-")
		if err == nil || !strings.Contains(errOut, "conflict") {
			t.Errorf("conflicting server-side apply: err=%v stderr=%s, want a conflict", err, errOut)
		}
	})

	modified := strings.Replace(readRepoFile(t, "artifacts/examples/instance.yaml"), "storageGB: 20", "storageGB: 30", 1)
	if !strings.Contains(modified, "storageGB: 30") {
		t.Fatal("artifacts/examples/instance.yaml no longer sets storageGB: 20")
	}

	t.Run("diff", func(t *testing.T) {
		out, errOut, err := runKubectl(t, admin, modified, "diff", "-n", ns, "-f", "-")
		if exitCode(err) != 1 || !strings.Contains(out, "-    storageGB: 20") || !strings.Contains(out, "+    storageGB: 30") {
			t.Errorf("kubectl diff of a changed instance: exit %d, want 1 with the storageGB change:\n%s%s", exitCode(err), out, errOut)
		}
		out, errOut, err = runKubectl(t, admin, "", "diff", "-n", ns, "-f", repoFile(t, "artifacts/examples/instance.yaml"))
		if exitCode(err) != 0 {
			t.Errorf("kubectl diff of the applied example: exit %d, want 0:\n%s%s", exitCode(err), out, errOut)
		}
	})

	t.Run("server dry-run", func(t *testing.T) {
		out := kubectlIn(t, admin, modified, "apply", "--dry-run=server", "-n", ns, "-f", "-")
		if !strings.Contains(out, "serviceinstance.servicecatalog.k8s.io/"+exampleInstance+" configured (server dry run)") {
			t.Errorf("kubectl apply --dry-run=server printed %q", out)
		}
		if got := kubectl(t, admin, "get", "si", exampleInstance, "-n", ns, "-o", "jsonpath={.spec.parameters.storageGB}"); got != "20" {
			t.Errorf("after a dry run storageGB = %q, want 20 still", got)
		}
		// A dry run reaches validation: an instance naming a class but no
		// plan is refused, and nothing is created.
		invalid := strings.Replace(instanceManifest("dry-run-invalid", "{}"), "  clusterServicePlanExternalName: "+demoPlan+"\n", "", 1)
		_, errOut, err := runKubectl(t, admin, invalid, "apply", "--dry-run=server", "-n", ns, "-f", "-")
		if err == nil || !strings.Contains(errOut, "is invalid") {
			t.Errorf("dry run of an invalid instance: err=%v stderr=%s, want \"is invalid\"", err, errOut)
		}
		if _, errOut, err := runKubectl(t, admin, "", "get", "si", "dry-run-invalid", "-n", ns); err == nil || !strings.Contains(errOut, "NotFound") {
			t.Errorf("the dry run created dry-run-invalid: %v %s", err, errOut)
		}
	})

	t.Run("wait for a condition", func(t *testing.T) {
		if !instanceLoop() {
			// Without the controller manager nobody sets conditions: set
			// Ready through the status subresource as the controller would
			// (kubectl >= 1.24 patches subresources), then wait for it.
			now := time.Now().UTC().Format(time.RFC3339)
			patch := `{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Provisioned",` +
				`"message":"set by the e2e test","observedGeneration":1,"lastTransitionTime":"` + now + `"}]}}`
			kubectl(t, admin, "patch", "si", exampleInstance, "-n", ns, "--subresource=status", "--type=merge", "-p", patch)
		}
		out := kubectl(t, admin, "wait", "--for=condition=Ready", "si/"+exampleInstance, "-n", ns, "--timeout="+pollTimeout.String())
		if !strings.Contains(out, "condition met") {
			t.Errorf("kubectl wait printed %q", out)
		}
		if got := kubectl(t, admin, "get", "si", exampleInstance, "-n", ns, "--no-headers"); !slices.Contains(strings.Fields(got), "Ready") {
			t.Errorf("the STATUS column does not say Ready: %q", got)
		}
	})

	t.Run("field selector", func(t *testing.T) {
		other := strings.Replace(instanceManifest("other-db", "{}"), "clusterServiceClassExternalName: "+demoClass, "clusterServiceClassExternalName: redis", 1)
		other = strings.Replace(other, "clusterServicePlanExternalName: "+demoPlan, "clusterServicePlanExternalName: cache", 1)
		kubectlIn(t, admin, other, "apply", "-n", ns, "-f", "-")
		for class, want := range map[string][]string{
			demoClass: {"serviceinstance.servicecatalog.k8s.io/" + exampleInstance, "serviceinstance.servicecatalog.k8s.io/ssa-db"},
			"redis":   {"serviceinstance.servicecatalog.k8s.io/other-db"},
			"x":       nil,
		} {
			got := strings.Fields(kubectl(t, admin, "get", "si", "-n", ns, "--field-selector", "spec.clusterServiceClassExternalName="+class, "-o", "name"))
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("--field-selector spec.clusterServiceClassExternalName=%s: %v, want %v", class, got, want)
			}
		}
		_, errOut, err := runKubectl(t, admin, "", "get", "si", "-n", ns, "--field-selector", "spec.nonsense=x")
		if err == nil || !strings.Contains(errOut, "field label not supported") {
			t.Errorf("unsupported field selector: err=%v stderr=%s", err, errOut)
		}
	})
}

// testWatch runs `kubectl get si -w` and checks that it reports a change
// made to the example instance while it watches.
func testWatch(t *testing.T, ns string) {
	ctx, cancel := context.WithTimeout(t.Context(), pollTimeout)
	defer cancel()
	cmd, err := stack.Cluster.KubectlCommand(ctx, admin, "get", "si", "-n", ns, "-w", "--output-watch-events", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()

	type event struct {
		Type   string `json:"type"`
		Object struct {
			Metadata struct {
				Name        string            `json:"name"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		} `json:"object"`
	}
	events := make(chan event)
	go func() {
		defer close(events)
		dec := json.NewDecoder(bufio.NewReader(stdout))
		for {
			var e event
			if err := dec.Decode(&e); err != nil {
				return
			}
			select {
			case events <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	next := func(what string, match func(event) bool) {
		t.Helper()
		for {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("kubectl get -w ended before %s: %s", what, stderr.String())
				}
				if match(e) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no %s from kubectl get -w: %v (stderr: %s)", what, ctx.Err(), stderr.String())
			}
		}
	}
	// The watch lists what exists first: once the example shows up, the
	// watch is established.
	next("ADDED event of "+exampleInstance, func(e event) bool {
		return e.Type == "ADDED" && e.Object.Metadata.Name == exampleInstance
	})
	stamp := time.Now().Format(time.RFC3339Nano)
	kubectl(t, admin, "annotate", "si", exampleInstance, "-n", ns, "--overwrite", "e2e.servicecatalog.k8s.io/watched="+stamp)
	next("MODIFIED event with the new annotation", func(e event) bool {
		return e.Type == "MODIFIED" && e.Object.Metadata.Name == exampleInstance &&
			e.Object.Metadata.Annotations["e2e.servicecatalog.k8s.io/watched"] == stamp
	})
}

// containsInOrder reports whether want appears in s in order (not
// necessarily adjacent).
func containsInOrder(s, want []string) bool {
	i := 0
	for _, x := range s {
		if i < len(want) && x == want[i] {
			i++
		}
	}
	return i == len(want)
}
