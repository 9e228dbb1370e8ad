package apiserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

// invalid is an object the server must refuse; the field its error must name
// is listed beside the cases.
type invalid struct {
	name   string
	create func(context.Context) error
}

func TestBadInputIsRefusedAndNothingIsStored(t *testing.T) {
	etcdEndpoints := framework.SharedEtcd(t)
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: etcdEndpoints})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	const ns = "team-a"

	broker := func(name string, tweak func(*v1beta1.ClusterServiceBroker)) invalid {
		return invalid{name: name, create: func(ctx context.Context) error {
			b := framework.Broker("broker")
			tweak(b)
			_, err := c.ClusterServiceBrokers().Create(ctx, b, metav1.CreateOptions{})
			return err
		}}
	}
	class := func(name string, tweak func(*v1beta1.ClusterServiceClass)) invalid {
		return invalid{name: name, create: func(ctx context.Context) error {
			cl := framework.Class("class", "broker")
			tweak(cl)
			_, err := c.ClusterServiceClasses().Create(ctx, cl, metav1.CreateOptions{})
			return err
		}}
	}
	plan := func(name string, tweak func(*v1beta1.ClusterServicePlan)) invalid {
		return invalid{name: name, create: func(ctx context.Context) error {
			p := framework.Plan("plan", "class", "broker")
			tweak(p)
			_, err := c.ClusterServicePlans().Create(ctx, p, metav1.CreateOptions{})
			return err
		}}
	}
	instance := func(name string, tweak func(*v1beta1.ServiceInstance)) invalid {
		return invalid{name: name, create: func(ctx context.Context) error {
			i := framework.Instance(ns, "db", "postgresql", "small")
			tweak(i)
			_, err := c.ServiceInstances(ns).Create(ctx, i, metav1.CreateOptions{})
			return err
		}}
	}
	binding := func(name string, tweak func(*v1beta1.ServiceBinding)) invalid {
		return invalid{name: name, create: func(ctx context.Context) error {
			b := framework.Binding(ns, "creds", "db")
			tweak(b)
			_, err := c.ServiceBindings(ns).Create(ctx, b, metav1.CreateOptions{})
			return err
		}}
	}
	basicAuth := func(ref *v1beta1.ObjectReference) *v1beta1.ClusterServiceBrokerAuthInfo {
		return &v1beta1.ClusterServiceBrokerAuthInfo{Basic: &v1beta1.ClusterBasicAuthConfig{SecretRef: ref}}
	}

	cases := []invalid{
		broker("broker without a URL", func(b *v1beta1.ClusterServiceBroker) { b.Spec.URL = "" }),
		broker("relative broker URL", func(b *v1beta1.ClusterServiceBroker) { b.Spec.URL = "broker/v2" }),
		broker("ftp broker URL", func(b *v1beta1.ClusterServiceBroker) { b.Spec.URL = "ftp://broker.example.com" }),
		broker("credentials in the broker URL", func(b *v1beta1.ClusterServiceBroker) { b.Spec.URL = "https://admin:hunter2@broker.example.com" }),
		broker("caBundle with insecureSkipTLSVerify", func(b *v1beta1.ClusterServiceBroker) {
			b.Spec.InsecureSkipTLSVerify = true
			b.Spec.CABundle = []byte(pemCertificateBlock)
		}),
		broker("caBundle that is not PEM", func(b *v1beta1.ClusterServiceBroker) { b.Spec.CABundle = []byte("not a certificate") }),
		broker("unknown relist behavior", func(b *v1beta1.ClusterServiceBroker) { b.Spec.RelistBehavior = "Sometimes" }),
		broker("negative relist duration", func(b *v1beta1.ClusterServiceBroker) {
			b.Spec.RelistDuration = &metav1.Duration{Duration: -time.Minute}
		}),
		broker("relist duration with manual relists", func(b *v1beta1.ClusterServiceBroker) {
			b.Spec.RelistBehavior = v1beta1.ServiceBrokerRelistBehaviorManual
			b.Spec.RelistDuration = &metav1.Duration{Duration: time.Hour}
		}),
		broker("negative relist requests", func(b *v1beta1.ClusterServiceBroker) { b.Spec.RelistRequests = -1 }),
		broker("basic and bearer auth", func(b *v1beta1.ClusterServiceBroker) {
			b.Spec.AuthInfo = basicAuth(&v1beta1.ObjectReference{Namespace: "ns", Name: "creds"})
			b.Spec.AuthInfo.Bearer = &v1beta1.ClusterBearerTokenAuthConfig{SecretRef: &v1beta1.ObjectReference{Namespace: "ns", Name: "token"}}
		}),
		broker("auth Secret without a namespace", func(b *v1beta1.ClusterServiceBroker) {
			b.Spec.AuthInfo = basicAuth(&v1beta1.ObjectReference{Name: "creds"})
		}),
		broker("catalog restriction on an unknown property", func(b *v1beta1.ClusterServiceBroker) {
			b.Spec.CatalogRestrictions = &v1beta1.CatalogRestrictions{ServiceClass: []string{"spec.description==x"}}
		}),
		broker("unsupported OSB API version", func(b *v1beta1.ClusterServiceBroker) { b.Spec.OSBAPIVersion = "3.0" }),
		broker("name that is not a DNS subdomain", func(b *v1beta1.ClusterServiceBroker) { b.Name = "Bad_Name" }),
		class("class without an external ID", func(cl *v1beta1.ClusterServiceClass) { cl.Spec.ExternalID = "" }),
		class("class without a broker", func(cl *v1beta1.ClusterServiceClass) { cl.Spec.ClusterServiceBrokerName = "" }),
		plan("plan without a class", func(p *v1beta1.ClusterServicePlan) { p.Spec.ClusterServiceClassRef.Name = "" }),
		plan("plan schema that is not an object", func(p *v1beta1.ClusterServicePlan) {
			p.Spec.InstanceCreateParameterSchema = &runtime.RawExtension{Raw: []byte(`[1]`)}
		}),
		plan("plan with a zero polling duration", func(p *v1beta1.ClusterServicePlan) {
			p.Spec.MaximumPollingDuration = &metav1.Duration{}
		}),
		instance("instance without a class", func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServiceClassExternalName = "" }),
		instance("instance naming its class two ways", func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServiceClassExternalID = "pg-id" }),
		instance("instance naming its plan another way", func(i *v1beta1.ServiceInstance) {
			i.Spec.ClusterServicePlanExternalName = ""
			i.Spec.ClusterServicePlanName = "pg-small"
		}),
		instance("parameters that are not an object", func(i *v1beta1.ServiceInstance) {
			i.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`[1,2]`)}
		}),
		instance("parametersFrom without a source", func(i *v1beta1.ServiceInstance) {
			i.Spec.ParametersFrom = []v1beta1.ParametersFromSource{{}}
		}),
		instance("parametersFrom without a key", func(i *v1beta1.ServiceInstance) {
			i.Spec.ParametersFrom = []v1beta1.ParametersFromSource{{SecretKeyRef: &v1beta1.SecretKeyReference{Name: "params"}}}
		}),
		instance("parameters of 800 KB", func(i *v1beta1.ServiceInstance) {
			i.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"blob":"` + strings.Repeat("x", 800<<10) + `"}`)}
		}),
		instance("parameters of 2 MiB", func(i *v1beta1.ServiceInstance) {
			i.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"blob":"` + strings.Repeat("x", 2<<20) + `"}`)}
		}),
		instance("external ID with a space", func(i *v1beta1.ServiceInstance) { i.Spec.ExternalID = "my instance" }),
		instance("negative update requests", func(i *v1beta1.ServiceInstance) { i.Spec.UpdateRequests = -1 }),
		binding("binding without an instance", func(b *v1beta1.ServiceBinding) { b.Spec.InstanceRef.Name = "" }),
		binding("Secret name that is not a DNS subdomain", func(b *v1beta1.ServiceBinding) { b.Spec.SecretName = "Bad_Secret" }),
		binding("transform with two actions", func(b *v1beta1.ServiceBinding) {
			b.Spec.SecretTransforms = []v1beta1.SecretTransform{{
				RemoveKey: &v1beta1.RemoveKeyTransform{Key: "a"},
				RenameKey: &v1beta1.RenameKeyTransform{From: "b", To: "c"},
			}}
		}),
		binding("addKeysFrom another namespace", func(b *v1beta1.ServiceBinding) {
			b.Spec.SecretTransforms = []v1beta1.SecretTransform{{AddKeysFrom: &v1beta1.AddKeysFromTransform{
				SecretRef: &v1beta1.ObjectReference{Namespace: "team-b", Name: "theirs"},
			}}}
		}),
		binding("addKey with a broken JSONPath", func(b *v1beta1.ServiceBinding) {
			b.Spec.SecretTransforms = []v1beta1.SecretTransform{{AddKey: &v1beta1.AddKeyTransform{Key: "url", JSONPathExpression: ptr.To("{.host")}}}
		}),
		binding("addKey with two values", func(b *v1beta1.ServiceBinding) {
			b.Spec.SecretTransforms = []v1beta1.SecretTransform{{AddKey: &v1beta1.AddKeyTransform{Key: "k", StringValue: ptr.To("a"), Value: []byte("b")}}}
		}),
	}
	fields := []string{
		"spec.url", "spec.url", "spec.url", "spec.url", "spec.caBundle", "spec.caBundle", "spec.relistBehavior",
		"spec.relistDuration", "spec.relistDuration", "spec.relistRequests", "spec.authInfo",
		"spec.authInfo.basic.secretRef.namespace", "spec.catalogRestrictions.serviceClass[0]", "spec.osbAPIVersion",
		"metadata.name", "spec.externalID", "spec.clusterServiceBrokerName", "spec.clusterServiceClassRef.name",
		"spec.instanceCreateParameterSchema", "spec.maximumPollingDuration", "spec.clusterServiceClassExternalName",
		"spec.clusterServiceClassExternalID", "spec.clusterServicePlanExternalName", "spec.parameters",
		"spec.parametersFrom[0].secretKeyRef", "spec.parametersFrom[0].secretKeyRef.key", "spec.parameters", "spec.parameters", "spec.externalID",
		"spec.updateRequests", "spec.instanceRef.name", "spec.secretName", "spec.secretTransforms[0]",
		"spec.secretTransforms[0].addKeysFrom.secretRef.namespace", "spec.secretTransforms[0].addKey.jsonPathExpression",
		"spec.secretTransforms[0].addKey",
	}
	if len(cases) != len(fields) {
		t.Fatalf("%d cases but %d fields", len(cases), len(fields))
	}
	if len(cases) < 25 {
		t.Fatalf("only %d invalid objects", len(cases))
	}
	ctx := context.Background()
	for i, tc := range cases {
		err := tc.create(ctx)
		if !apierrors.IsInvalid(err) {
			t.Errorf("%s: got %v, want 422 Invalid", tc.name, err)
			continue
		}
		if !namesField(err, fields[i]) {
			t.Errorf("%s: error does not name %s: %v", tc.name, fields[i], err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error repeats the password: %v", tc.name, err)
		}
	}

	// A body over the server's limit (3 MiB) is refused before it is decoded.
	huge := bytes.Repeat([]byte("x"), 4<<20)
	body := []byte(`{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceInstance","metadata":{"name":"huge"},"spec":{"clusterServiceClassExternalName":"pg","clusterServicePlanExternalName":"small","parameters":{"blob":"` + string(huge) + `"}}}`)
	result := c.RESTClient().Post().AbsPath("/apis/servicecatalog.k8s.io/v1beta1/namespaces", ns, "serviceinstances").
		SetHeader("Content-Type", "application/json").Body(body).Do(ctx)
	var code int
	result.StatusCode(&code)
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d (%v), want 413", code, result.Error())
	}

	// Updates that break a rule are refused too, and leave the stored object as it was.
	stored, err := c.ServiceInstances(ns).Create(ctx, framework.Instance(ns, "kept", "postgresql", "small"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, tweak := range map[string]func(*v1beta1.ServiceInstance){
		"spec.clusterServiceClassExternalName": func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServiceClassExternalName = "mysql" },
		"spec.externalID":                      func(i *v1beta1.ServiceInstance) { i.Spec.ExternalID = "another-id" },
		"spec.updateRequests":                  func(i *v1beta1.ServiceInstance) { i.Spec.UpdateRequests = -2 },
	} {
		changed := stored.DeepCopy()
		tweak(changed)
		_, err := c.ServiceInstances(ns).Update(ctx, changed, metav1.UpdateOptions{})
		if !apierrors.IsInvalid(err) || !namesField(err, name) {
			t.Errorf("update of %s: got %v, want 422 naming it", name, err)
		}
	}
	after, err := c.ServiceInstances(ns).Get(ctx, "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != stored.ResourceVersion {
		t.Errorf("a refused update changed the stored instance")
	}

	// Nothing of the refused objects reached etcd: only the instance created above is there,
	// with the claim of its external ID.
	etcd, err := clientv3.New(clientv3.Config{Endpoints: etcdEndpoints, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = etcd.Close() }()
	keys, err := etcd.Get(ctx, s.EtcdPrefix+"/servicecatalog.k8s.io/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		s.EtcdPrefix + "/servicecatalog.k8s.io/externalids/serviceinstances/" + base64.RawURLEncoding.EncodeToString([]byte(stored.Spec.ExternalID)),
		s.EtcdPrefix + "/servicecatalog.k8s.io/serviceinstances/team-a/kept",
	}
	var got []string
	for _, kv := range keys.Kvs {
		got = append(got, string(kv.Key))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("etcd keys (-want +got):\n%s", diff)
	}
	if err := c.ServiceInstances(ns).Delete(ctx, "kept", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServiceInstances(ns).Patch(ctx, "kept", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}

}

// namesField tells whether a 422 error has a cause for the field.
func namesField(err error, field string) bool {
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Details == nil {
		return false
	}
	for _, cause := range status.Status().Details.Causes {
		if cause.Field == field {
			return true
		}
	}
	return false
}

// pemCertificateBlock is shaped like a PEM certificate, which is all validation checks.
const pemCertificateBlock = `-----BEGIN CERTIFICATE-----
MIIBdzCCAR2gAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDEwl0ZXN0LXJv
b3QwHhcNMjQwMTAxMDAwMDAwWhcNMzQwMTAxMDAwMDAwWjAUMRIwEAYDVQQDEwl0
ZXN0LXJvb3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ0L1q7E5bV1f6vQK6S
-----END CERTIFICATE-----
`
