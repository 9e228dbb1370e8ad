package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestBindingSyncAndAsync(t *testing.T) {
	e := newEnv(t, envOptions{catalog: bindingCatalog})
	ctx := context.Background()
	e.createSecret("extra", map[string]string{"ca.crt": "-----BEGIN CERTIFICATE-----"})
	ns, err := e.kube.CoreV1().Namespaces().Get(ctx, e.namespace, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, plan, secretName string
		// bind and unbind are the requests the broker must receive.
		bind, unbind []string
	}{
		{"sync", "sync", "", []string{"PUT bind 201"}, []string{"DELETE unbind 200"}},
		{"async", "async", "async-credentials",
			[]string{"PUT bind 202", "GET binding-poll 200", "GET binding-poll 200", "GET binding-poll 200", "GET get-binding 200"},
			[]string{"DELETE unbind 202", "GET binding-poll 200", "GET binding-poll 200"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			instance := e.provisioned("kv-"+tc.name, "kv-{id}", tc.plan)
			address, region := "{.host}:{.port}", "eu-west-1"
			b := e.binding("creds-"+tc.name, instance.Name)
			b.Spec.SecretName = tc.secretName
			b.Spec.Parameters = rawJSON(`{"role":"reader"}`)
			b.Spec.SecretTransforms = []v1beta1.SecretTransform{
				{RenameKey: &v1beta1.RenameKeyTransform{From: "username", To: "user"}},
				{AddKey: &v1beta1.AddKeyTransform{Key: "address", JSONPathExpression: &address}},
				{AddKey: &v1beta1.AddKeyTransform{Key: "region", StringValue: &region}},
				{AddKey: &v1beta1.AddKeyTransform{Key: "tier", Value: []byte("gold")}},
				{AddKeysFrom: &v1beta1.AddKeysFromTransform{SecretRef: &v1beta1.ObjectReference{Name: "extra"}}},
				{RemoveKey: &v1beta1.RemoveKeyTransform{Key: "uri"}},
			}
			created := e.createBinding(b)
			wantSecret := created.Name
			if tc.secretName != "" {
				wantSecret = tc.secretName
			}
			ready := e.waitBindingReady(created.Name)
			st := ready.Status
			if c := meta.FindStatusCondition(st.Conditions, v1beta1.ConditionReady); c.Reason != conditions.InjectedBindResult {
				t.Errorf("Ready reason %q", c.Reason)
			}
			if st.Binding == nil || st.Binding.Name != wantSecret || st.CurrentOperation != "" || st.AsyncOpInProgress ||
				st.UnbindStatus != v1beta1.ServiceBindingUnbindStatusRequired || st.ObservedGeneration != ready.Generation ||
				st.ExternalProperties == nil || st.ExternalProperties.ParameterChecksum == "" {
				t.Errorf("status after binding: %+v", st)
			}

			// What the broker was sent.
			if got := e.bindingRequests(created.Spec.ExternalID); !slices.Equal(got, tc.bind) {
				t.Errorf("broker saw %v, want %v", got, tc.bind)
			}
			put := e.bindingRecorded(created.Spec.ExternalID)[0]
			if put.Query().Get("accepts_incomplete") != "true" {
				t.Errorf("bind query %q: the offering is bindings_retrievable, accepts_incomplete=true expected", put.RawQuery)
			}
			if !strings.HasPrefix(put.Path, "/v2/service_instances/"+instance.Spec.ExternalID+"/service_bindings/") {
				t.Errorf("bind path %s", put.Path)
			}
			var body struct {
				ServiceID    string            `json:"service_id"`
				PlanID       string            `json:"plan_id"`
				Context      map[string]string `json:"context"`
				BindResource map[string]string `json:"bind_resource"`
				Parameters   map[string]any    `json:"parameters"`
			}
			if err := json.Unmarshal(put.Body, &body); err != nil {
				t.Fatal(err)
			}
			if body.ServiceID != "kv-"+e.id+"-service" || body.PlanID != "kv-"+e.id+"-"+tc.plan ||
				body.Context["platform"] != "kubernetes" || body.Context["namespace"] != e.namespace || body.Context["clusterid"] == "" ||
				body.BindResource["app_guid"] != string(ns.UID) || body.Parameters["role"] != "reader" {
				t.Errorf("bind body: %s", put.Body)
			}
			if _, id, err := osb.ParseOriginatingIdentity(put.Header.Get(osb.HeaderOriginatingIdentity)); err != nil || id.Username == "" {
				t.Errorf("originating identity %q: %v", put.Header.Get(osb.HeaderOriginatingIdentity), err)
			}

			// The Secret.
			held := e.brokerBinding(created.Spec.ExternalID)
			if held == nil {
				t.Fatalf("the broker holds no binding %s", created.Spec.ExternalID)
			}
			secret := e.secret(wantSecret)
			if secret == nil {
				t.Fatalf("no Secret %s", wantSecret)
			}
			creds := held.Credentials
			want := map[string]string{
				"user":     creds["username"].(string),
				"password": creds["password"].(string),
				"host":     creds["host"].(string),
				"port":     "443",
				"type":     "redis",
				"provider": e.brokerName,
				"address":  fmt.Sprintf("%s:443", creds["host"]),
				"region":   "eu-west-1",
				"tier":     "gold",
				"ca.crt":   "-----BEGIN CERTIFICATE-----",
			}
			// The broker sends endpoints at API 2.16 and later.
			want["endpoints"] = fmt.Sprintf(`[{"host":%q,"ports":["443"],"protocol":"tcp"}]`, creds["host"])
			got := map[string]string{}
			for k, v := range secret.Data {
				got[k] = string(v)
			}
			if !mapsEqual(got, want) {
				t.Errorf("Secret data:\n got %v\nwant %v", got, want)
			}
			if secret.Type != "servicebinding.io/redis" {
				t.Errorf("Secret type %q, want servicebinding.io/redis", secret.Type)
			}
			if !metav1.IsControlledBy(secret, ready) {
				t.Errorf("Secret owners %+v; want the binding %s as controller", secret.OwnerReferences, ready.UID)
			}
			e.waitEvent(created.Name, conditions.InjectedBindResult)

			// Deleting unbinds and removes the Secret.
			before := len(e.bindingRequests(created.Spec.ExternalID))
			e.deleteBinding(created.Name)
			e.waitBindingGone(created.Name)
			if e.secret(wantSecret) != nil {
				t.Errorf("the Secret %s outlived its binding", wantSecret)
			}
			if got := e.bindingRequests(created.Spec.ExternalID)[before:]; !slices.Equal(got, tc.unbind) {
				t.Errorf("deletion: broker saw %v, want %v", got, tc.unbind)
			}
			unbind := e.bindingRecorded(created.Spec.ExternalID)[before]
			if q := unbind.Query(); q.Get("service_id") != body.ServiceID || q.Get("plan_id") != body.PlanID {
				t.Errorf("unbind query %q", unbind.RawQuery)
			}
			if e.brokerBinding(created.Spec.ExternalID) != nil {
				t.Errorf("the broker still holds binding %s", created.Spec.ExternalID)
			}
		})
	}

	t.Run("waits for the instance", func(t *testing.T) {
		instance := e.createInstance(e.instance("slow", "kv-{id}", "slow", ""))
		created := e.createBinding(e.binding("early", instance.Name))
		waiting := e.waitBinding(created.Name, conditions.ErrorInstanceNotReady, bindingHasReason(v1beta1.ConditionReady, conditions.ErrorInstanceNotReady))
		if c := meta.FindStatusCondition(waiting.Status.Conditions, v1beta1.ConditionReady); !strings.Contains(c.Message, `"slow"`) {
			t.Errorf("the condition does not name the instance: %q", c.Message)
		}
		if waiting.Status.CurrentOperation != "" || waiting.Status.InProgressProperties != nil {
			t.Errorf("a waiting binding records a request: %+v", waiting.Status)
		}
		// The instance's events wake the binding up.
		e.waitBindingReady(created.Name)
		if got := e.bindingRequests(created.Spec.ExternalID); !slices.Equal(got, []string{"PUT bind 201"}) {
			t.Errorf("broker saw %v", got)
		}
	})

	t.Run("restart while polling", func(t *testing.T) {
		instance := e.provisioned("kv-slow", "kv-{id}", "async-slow")
		created := e.createBinding(e.binding("slow", instance.Name))
		polling := e.waitBinding(created.Name, "polling", func(b *v1beta1.ServiceBinding) bool {
			return b.Status.AsyncOpInProgress && b.Status.OperationKey != "" &&
				slices.Contains(kinds(e.bindingRequests(created.Spec.ExternalID)), "GET binding-poll")
		})
		e.restartController()
		e.waitBindingReady(created.Name)
		puts := 0
		for _, r := range e.bindingRecorded(created.Spec.ExternalID) {
			switch {
			case r.Method == "PUT":
				puts++
			case strings.HasSuffix(r.Path, "/last_operation"):
				if op := r.Query().Get("operation"); op != polling.Status.OperationKey {
					t.Errorf("a poll sent operation %q, want the stored %q", op, polling.Status.OperationKey)
				}
			}
		}
		if puts != 1 {
			t.Errorf("the broker got %d binds, want 1: %v", puts, e.bindingRequests(created.Spec.ExternalID))
		}
		if s := e.secret(created.Name); s == nil || len(s.Data["password"]) == 0 {
			t.Errorf("no credentials after the restart: %+v", s)
		}
	})

	t.Run("not retrievable", func(t *testing.T) {
		instance := e.provisioned("plain", "plain-{id}", "sync")
		created := e.createBinding(e.binding("plain", instance.Name))
		e.waitBindingReady(created.Name)
		put := e.bindingRecorded(created.Spec.ExternalID)[0]
		if put.Query().Has("accepts_incomplete") {
			t.Errorf("bind query %q: the offering is not bindings_retrievable", put.RawQuery)
		}
		if s := e.secret("plain"); s == nil || string(s.Type) != "servicebinding.io/plain-"+e.id || string(s.Data["type"]) != "plain-"+e.id {
			t.Errorf("Secret of an offering without tags: %+v", s)
		}
	})

	t.Run("addKeysFrom another namespace", func(t *testing.T) {
		b := e.binding("elsewhere", "kv-sync")
		b.Spec.SecretTransforms = []v1beta1.SecretTransform{
			{AddKeysFrom: &v1beta1.AddKeysFromTransform{SecretRef: &v1beta1.ObjectReference{Namespace: "kube-system", Name: "extra"}}},
		}
		_, err := e.catalog.ServicecatalogV1beta1().ServiceBindings(e.namespace).Create(ctx, b, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.secretTransforms[0].addKeysFrom.secretRef.namespace") {
			t.Errorf("a binding copying a Secret of another namespace: %v, want 422 naming the field", err)
		}
	})
}

func TestBindingLeavesASecretItDoesNotOwnUntouched(t *testing.T) {
	e := newEnv(t, envOptions{catalog: bindingCatalog})
	e.provisioned("kv", "kv-{id}", "sync")
	foreign := e.createSecret("taken", map[string]string{"password": "the owner's own", "note": "do not touch"})

	b := e.binding("creds", "kv")
	b.Spec.SecretName = "taken"
	created := e.createBinding(b)
	waiting := e.waitBinding(created.Name, conditions.ErrorSecretExists, bindingHasReason(v1beta1.ConditionReady, conditions.ErrorSecretExists))
	ready := meta.FindStatusCondition(waiting.Status.Conditions, v1beta1.ConditionReady)
	if !strings.Contains(ready.Message, `"taken"`) || !strings.Contains(ready.Message, "not controlled by this binding") {
		t.Errorf("the condition does not say why: %q", ready.Message)
	}
	if got := e.bindingRequests(created.Spec.ExternalID); len(got) != 0 {
		t.Errorf("the broker was asked %v although the credentials could not be written", got)
	}
	untouched := func() {
		t.Helper()
		now := e.secret("taken")
		if now == nil || now.ResourceVersion != foreign.ResourceVersion || !reflect.DeepEqual(now.Data, foreign.Data) ||
			now.Type != foreign.Type || len(now.OwnerReferences) != 0 || !reflect.DeepEqual(now.Labels, foreign.Labels) {
			t.Errorf("the foreign Secret changed:\n was %+v\n now %+v", foreign, now)
		}
	}
	untouched()

	// Once a Secret in the way is gone, the binding goes ahead.
	e.createSecret("freed", map[string]string{"x": "y"})
	later := e.binding("later", "kv")
	later.Spec.SecretName = "freed"
	laterCreated := e.createBinding(later)
	e.waitBinding(later.Name, conditions.ErrorSecretExists, bindingHasReason(v1beta1.ConditionReady, conditions.ErrorSecretExists))
	if err := e.kube.CoreV1().Secrets(e.namespace).Delete(context.Background(), "freed", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	bound := e.waitBindingReady(later.Name)
	if s := e.secret("freed"); s == nil || !metav1.IsControlledBy(s, bound) || string(s.Data["type"]) != "redis" {
		t.Errorf("the binding did not write its Secret once the name was free: %+v", s)
	}
	if got := kinds(e.bindingRequests(laterCreated.Spec.ExternalID)); !slices.Equal(got, []string{"PUT bind"}) {
		t.Errorf("broker saw %v", got)
	}

	// Deleting the waiting binding leaves the foreign Secret alone; the broker, which
	// never held the binding, at most answers an unbind with 410 Gone.
	e.deleteBinding(created.Name)
	e.waitBindingGone(created.Name)
	untouched()
	if got := e.bindingRequests(created.Spec.ExternalID); len(got) > 1 || len(got) == 1 && got[0] != "DELETE unbind 410" {
		t.Errorf("the broker was called for a binding it never held: %v", got)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
