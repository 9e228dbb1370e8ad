package apiserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/scheme"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

// benchMediaTypes are the media types the write benchmarks send objects in and ask
// answers in, by the name of their sub-benchmark. Patches are JSON in either.
var benchMediaTypes = []struct{ name, mediaType string }{
	{"json", runtime.ContentTypeJSON},
	{"protobuf", runtime.ContentTypeProtobuf},
}

// The namespace and collections the write benchmarks write to.
const (
	benchNamespace = "bench"
	instancesPath  = "/apis/servicecatalog.k8s.io/v1beta1/namespaces/" + benchNamespace + "/serviceinstances"
	bindingsPath   = "/apis/servicecatalog.k8s.io/v1beta1/namespaces/" + benchNamespace + "/servicebindings"
)

// BenchmarkWrites measures the time, bytes and allocations of one write request of each
// kind (creates, updates, status updates, merge patches and server-side applies of
// ServiceInstances, and ServiceBinding creates) through the catalog API server's whole
// handler chain and its storage, as `make bench-alloc` runs it:
//
//	go test -run '^$' -bench Writes -benchmem -benchtime 300x ./test/integration/apiserver/
//
// The server is the one the product runs, started in process in standalone mode on the
// etcd of the test binary (see framework.RunMain). Requests are served in process by the
// server's http.Handler, with no connection. They authenticate as the standalone admin
// (a bearer token, group system:masters) whom the standalone authorizer allows without
// a SubjectAccessReview; the admission chain is the standalone one: the catalog's plugins
// that need no Kubernetes API (no NamespaceLifecycle, webhooks, SecretAccessCheck or the
// other plugins that read Kubernetes objects), and API priority and fairness is off.
//
// The plan the instances name has the demo catalog's parameter schemas, so admission
// validates every instance's 1 KiB parameters. Figures count every allocation in the
// process while a request is served: the handler chain, the etcd client and, unless
// CATALOG_INTEGRATION_ETCD_URL names an etcd outside the test process, the etcd server.
// Requests, their bodies and the recorders of the answers are made before the timer
// starts; a recorder's copy of the answer's header (3 allocations, about 0.5 KiB) is
// counted. Besides time and memory, it reports the process's CPU time per request
// (cpu-ns/op, the server's and, when embedded, etcd's), the collections per request
// (gc/op) and the CPU the runtime estimates they took (gc-ns/op).
func BenchmarkWrites(b *testing.B) {
	s := framework.StartServer(b, framework.ServerOptions{EtcdServers: framework.SharedEtcd(b)})
	setUpBenchCatalog(b, s)
	bench := benchClient{handler: s.Handler(), authorization: "Bearer " + s.AdminConfig().BearerToken}
	for _, media := range benchMediaTypes {
		for _, w := range benchWrites() {
			b.Run(w.name+"/"+media.name, func(b *testing.B) { bench.run(b, w, media.mediaType) })
		}
	}
}

// benchWrite is one kind of write request.
type benchWrite struct {
	name   string
	method string
	// collection is the path of the resource.
	collection string
	// target names the objects the requests change, in turn (see benchTargets); creates
	// have none.
	target string
	// suffix follows the object's path: a subresource, a query.
	suffix string
	// patchType is the Content-Type of a patch; other writes send an object in the
	// benchmark's media type.
	patchType types.PatchType
	// body returns the body of the i-th request of its kind (from 1), to the object
	// called name, given the encoding of an object in the benchmark's media type. Each
	// request changes its object: those the setup creates are as request 0 leaves them.
	body func(i int, name string, encode func(runtime.Object) []byte) []byte
}

// benchTargets is how many objects the requests of one kind change in turn. Writes to
// one object in quick succession would often find the watch cache one write behind and
// try again, as a hot object does; writes to several objects cost what most writes cost.
const benchTargets = 16

// object returns the name of the object of the i-th request.
func (w benchWrite) object(i int) string {
	if w.target == "" {
		return fmt.Sprintf("created-%d", i)
	}
	return fmt.Sprintf("%s-%d", w.target, i%benchTargets)
}

// path returns the path of the i-th request.
func (w benchWrite) path(i int) string {
	if w.target == "" {
		return w.collection
	}
	return w.collection + "/" + w.object(i) + w.suffix
}

// The instance the binding creates bind to.
const boundInstance = "bound"

// benchWrites returns the write requests the benchmark measures.
func benchWrites() []benchWrite {
	return []benchWrite{
		{name: "instance-create", method: http.MethodPost, collection: instancesPath,
			body: func(_ int, name string, encode func(runtime.Object) []byte) []byte {
				return encode(benchInstance(name))
			}},
		{name: "instance-update", method: http.MethodPut, collection: instancesPath, target: "updated",
			body: func(i int, name string, encode func(runtime.Object) []byte) []byte {
				instance := benchInstance(name)
				instance.Spec.UpdateRequests = int64(i)
				return encode(instance)
			}},
		{name: "instance-status", method: http.MethodPut, collection: instancesPath, target: "status", suffix: "/status",
			body: func(i int, name string, encode func(runtime.Object) []byte) []byte {
				return encode(provisioning(benchInstance(name), i))
			}},
		{name: "instance-merge-patch", method: http.MethodPatch, collection: instancesPath, target: "patched", patchType: types.MergePatchType,
			body: func(i int, _ string, _ func(runtime.Object) []byte) []byte {
				return fmt.Appendf(nil, `{"spec":{"parameters":{"storageGB":%d}}}`, benchStorageGB(i))
			}},
		{name: "instance-apply", method: http.MethodPatch, collection: instancesPath, target: "applied", suffix: "?fieldManager=bench&force=true",
			patchType: types.ApplyYAMLPatchType,
			body:      func(i int, name string, _ func(runtime.Object) []byte) []byte { return appliedManifest(name, i) }},
		{name: "binding-create", method: http.MethodPost, collection: bindingsPath,
			body: func(_ int, name string, encode func(runtime.Object) []byte) []byte {
				return encode(benchBinding(name))
			}},
	}
}

// benchClient sends requests to a server's handler in process.
type benchClient struct {
	handler       http.Handler
	authorization string
	// sent counts the requests of each kind sent so far, so that every run of a kind
	// continues where the last ended: new names, changed objects.
	sent map[string]int
}

// run sends b.N requests of kind w, objects in media.
func (c *benchClient) run(b *testing.B, w benchWrite, media string) {
	contentType := media
	if w.patchType != "" {
		contentType = string(w.patchType)
	}
	if c.sent == nil {
		c.sent = map[string]int{}
	}
	first := c.sent[w.name] + 1
	c.sent[w.name] += b.N
	encode := encoder(b, media)
	var body bytes.Buffer // each answer in turn
	requests, answers := make([]*http.Request, b.N), make([]*httptest.ResponseRecorder, b.N)
	for n := range requests {
		i := first + n
		req := httptest.NewRequest(w.method, w.path(i), bytes.NewReader(w.body(i, w.object(i), encode)))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", media)
		req.Header.Set("Authorization", c.authorization)
		answer := httptest.NewRecorder()
		answer.Body = &body
		requests[n], answers[n] = req, answer
	}
	b.ReportAllocs()
	before := readWork(b)
	b.ResetTimer()
	for n, req := range requests {
		body.Reset()
		c.handler.ServeHTTP(answers[n], req)
		if code := answers[n].Code; code >= http.StatusMultipleChoices {
			b.Fatalf("%s %s: %d %s", req.Method, req.URL, code, body.String())
		}
	}
	b.StopTimer()
	readWork(b).since(before).report(b)
}

// work is what the process and its garbage collector have done so far.
type work struct {
	cpu      time.Duration // user and system, as the kernel counts it
	gcCycles uint64
	gcCPU    float64 // seconds, the runtime's estimate
}

// readWork reads the process's CPU time and the runtime's count of collections and
// estimate of their CPU time.
func readWork(b *testing.B) work {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatal(err)
	}
	samples := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(samples)
	return work{
		cpu:      time.Duration(usage.Utime.Nano() + usage.Stime.Nano()),
		gcCycles: samples[0].Value.Uint64(),
		gcCPU:    samples[1].Value.Float64(),
	}
}

func (w work) since(earlier work) work {
	return work{cpu: w.cpu - earlier.cpu, gcCycles: w.gcCycles - earlier.gcCycles, gcCPU: w.gcCPU - earlier.gcCPU}
}

// report reports the work per request: CPU time, which other processes on the machine
// disturb less than the time per request, and the collections and their CPU time, which
// GOGC and GOMEMLIMIT change.
func (w work) report(b *testing.B) {
	n := float64(b.N)
	b.ReportMetric(float64(w.cpu.Nanoseconds())/n, "cpu-ns/op")
	b.ReportMetric(float64(w.gcCycles)/n, "gc/op")
	b.ReportMetric(w.gcCPU*1e9/n, "gc-ns/op")
}

// encoder returns a function encoding objects in media as v1beta1.
func encoder(b *testing.B, media string) func(runtime.Object) []byte {
	info, ok := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), media)
	if !ok {
		b.Fatalf("the clientset's scheme cannot encode %s", media)
	}
	codec := scheme.Codecs.EncoderForVersion(info.Serializer, v1beta1.SchemeGroupVersion)
	return func(obj runtime.Object) []byte {
		data, err := runtime.Encode(codec, obj)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
}

// setUpBenchCatalog creates the broker, the class and the plan (with the demo catalog's
// parameter schemas) the instances name, and the instances the requests write to. It
// returns once the admission plugins check parameters against the plan's schema.
func setUpBenchCatalog(b *testing.B, s *framework.Server) {
	cfg := s.AdminConfig()
	cfg.ContentType = runtime.ContentTypeJSON // the setup is not measured; any encoding does
	client, err := clientset.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	c := client.ServicecatalogV1beta1()
	ctx := b.Context()
	class := framework.Class("bench-postgresql", "bench")
	class.Spec.ExternalName = "postgresql"
	plan := framework.Plan("bench-small", class.Name, "bench")
	plan.Spec.ExternalName = "small"
	plan.Spec.InstanceCreateParameterSchema = &runtime.RawExtension{Raw: []byte(`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object",` +
		`"properties":{"storageGB":{"type":"integer","minimum":10,"maximum":100,"default":10},"extensions":{"type":"array","items":{"type":"string"}}},"additionalProperties":false}`)}
	plan.Spec.InstanceUpdateParameterSchema = &runtime.RawExtension{Raw: []byte(`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object",` +
		`"properties":{"storageGB":{"type":"integer","minimum":10,"maximum":100}}}`)}
	plan.Spec.ServiceBindingCreateParameterSchema = &runtime.RawExtension{Raw: []byte(`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object",` +
		`"properties":{"role":{"type":"string","enum":["readwrite","readonly"],"default":"readwrite"}}}`)}
	if _, err := c.ClusterServiceBrokers().Create(ctx, framework.Broker("bench"), metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.ClusterServiceClasses().Create(ctx, class, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.ClusterServicePlans().Create(ctx, plan, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	tooSmall := benchInstance("too-small")
	tooSmall.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"storageGB":1}`)}
	instances := c.ServiceInstances(benchNamespace)
	err = afterCachesCatchUp(b, apierrors.IsInvalid, func(dryRun []string) error {
		_, err := instances.Create(ctx, tooSmall, metav1.CreateOptions{DryRun: dryRun})
		return err
	})
	if !apierrors.IsInvalid(err) {
		b.Fatalf("an instance with parameters outside the plan's schema: got %v, want 422 Invalid", err)
	}
	targets := []string{boundInstance}
	for _, w := range benchWrites() {
		for i := range benchTargets {
			if w.target != "" {
				targets = append(targets, w.object(i))
			}
		}
	}
	for _, name := range targets {
		if _, err := instances.Create(ctx, benchInstance(name), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchInstance returns an instance of the demo plan with about 1 KiB of parameters.
func benchInstance(name string) *v1beta1.ServiceInstance {
	instance := framework.Instance(benchNamespace, name, "postgresql", "small")
	instance.Labels = map[string]string{"app.kubernetes.io/part-of": "catalog-bench"}
	instance.Spec.Parameters = &runtime.RawExtension{Raw: benchParameters(0)}
	return instance
}

// benchParameters returns about 1 KiB of parameters that the demo plan's create schema
// accepts; i varies the storage.
func benchParameters(i int) []byte {
	extensions := []string{"pg_stat_statements", "pgcrypto", "uuid-ossp"}
	for n := range 36 {
		extensions = append(extensions, fmt.Sprintf("extension_%02d", n))
	}
	data, err := json.Marshal(map[string]any{"storageGB": benchStorageGB(i), "extensions": extensions})
	if err != nil {
		panic(err) // strings and an integer always encode
	}
	return data
}

// benchStorageGB returns a storage size the plan's schemas accept, different from the
// one before.
func benchStorageGB(i int) int { return 10 + i%91 }

// provisioning sets the status the controller writes while the broker provisions, with a
// message of its i-th poll.
func provisioning(instance *v1beta1.ServiceInstance, i int) *v1beta1.ServiceInstance {
	start := metav1.Unix(1700000000, 0)
	instance.Status = v1beta1.ServiceInstanceStatus{
		Conditions: []metav1.Condition{{
			Type: v1beta1.ConditionReady, Status: metav1.ConditionFalse, Reason: "Provisioning", ObservedGeneration: 1,
			Message: fmt.Sprintf("The broker is provisioning the instance (poll %d)", i), LastTransitionTime: start,
		}},
		ObservedGeneration:       1,
		ClusterServiceClassRef:   &v1beta1.ClusterObjectReference{Name: "bench-postgresql"},
		ClusterServicePlanRef:    &v1beta1.ClusterObjectReference{Name: "bench-small"},
		ClusterServiceBrokerName: "bench",
		CurrentOperation:         v1beta1.ServiceInstanceOperationProvision,
		OperationStatus: v1beta1.OperationStatus{
			OperationStartTime: &start, AsyncOpInProgress: true, OperationKey: "provision-1",
		},
		DeprovisionStatus: v1beta1.ServiceInstanceDeprovisionStatusRequired,
	}
	return instance
}

// appliedManifest returns the manifest of instance name that the i-th apply sends: the
// instance as a user writes it, with a storage size of its own.
func appliedManifest(name string, i int) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceInstance",`+
		`"metadata":{"name":%q,"namespace":%q,"labels":{"app.kubernetes.io/part-of":"catalog-bench"}},`+
		`"spec":{"clusterServiceClassExternalName":"postgresql","clusterServicePlanExternalName":"small","parameters":%s}}`,
		name, benchNamespace, benchParameters(i))
}

// benchBinding returns a binding to the bound instance, with parameters the plan's
// binding schema accepts.
func benchBinding(name string) *v1beta1.ServiceBinding {
	binding := framework.Binding(benchNamespace, name, boundInstance)
	binding.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"role":"readonly"}`)}
	return binding
}
