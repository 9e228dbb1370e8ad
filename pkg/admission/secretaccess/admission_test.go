package secretaccess

import (
	"errors"
	"slices"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
)

// readable are the Secrets (namespace/name) admissiontest.User may get: a namespaced
// broker's are in its namespace, team-a.
var readable = []string{"team-a/mine", "catalog/broker-mine", "team-a/broker-mine"}

// newPlugin returns the plugin on a fake Kubernetes API that answers SubjectAccessReviews
// from readable, and the reviews it received.
func newPlugin(t *testing.T) (*Plugin, *[]authorizationv1.SubjectAccessReviewSpec) {
	t.Helper()
	client := fake.NewClientset()
	var reviews []authorizationv1.SubjectAccessReviewSpec
	client.PrependReactor("create", "subjectaccessreviews", func(action clienttesting.Action) (bool, runtime.Object, error) {
		review := action.(clienttesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview)
		reviews = append(reviews, review.Spec)
		attrs := review.Spec.ResourceAttributes
		if attrs.Name == "broken" {
			return true, nil, errors.New("connection refused")
		}
		review = review.DeepCopy()
		review.Status.Allowed = review.Spec.User == admissiontest.User.Name && attrs.Verb == "get" &&
			attrs.Group == "" && attrs.Resource == "secrets" && slices.Contains(readable, attrs.Namespace+"/"+attrs.Name)
		return true, review, nil
	})
	p := New()
	p.SetExternalKubeClientSet(client)
	if err := p.ValidateInitialization(); err != nil {
		t.Fatal(err)
	}
	return p, &reviews
}

func fromSecrets(names ...string) []sc.ParametersFromSource {
	var sources []sc.ParametersFromSource
	for _, n := range names {
		sources = append(sources, sc.ParametersFromSource{SecretKeyRef: &sc.SecretKeyReference{Name: n, Key: "params"}})
	}
	return sources
}

func instance(secrets ...string) *sc.ServiceInstance {
	return &sc.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "db"},
		Spec:       sc.ServiceInstanceSpec{ParametersFrom: fromSecrets(secrets...)},
	}
}

func binding(transformSecret string, secrets ...string) *sc.ServiceBinding {
	b := &sc.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "creds"},
		Spec:       sc.ServiceBindingSpec{ParametersFrom: fromSecrets(secrets...)},
	}
	if transformSecret != "" {
		b.Spec.SecretTransforms = []sc.SecretTransform{
			{RemoveKey: &sc.RemoveKeyTransform{Key: "x"}},
			{AddKeysFrom: &sc.AddKeysFromTransform{SecretRef: &sc.ObjectReference{Name: transformSecret}}},
		}
	}
	return b
}

func broker(url, secret string) *sc.ClusterServiceBroker {
	b := &sc.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "b"}}
	b.Spec.URL = url
	if secret != "" {
		b.Spec.AuthInfo = &sc.ClusterServiceBrokerAuthInfo{
			Basic: &sc.ClusterBasicAuthConfig{SecretRef: &sc.ObjectReference{Namespace: "catalog", Name: secret}},
		}
	}
	return b
}

func bearerBroker(secret string) *sc.ClusterServiceBroker {
	b := broker("https://broker.example.com", "")
	b.Spec.AuthInfo = &sc.ClusterServiceBrokerAuthInfo{
		Bearer: &sc.ClusterBearerTokenAuthConfig{SecretRef: &sc.ObjectReference{Namespace: "catalog", Name: secret}},
	}
	return b
}

func withLabel(obj runtime.Object) runtime.Object {
	obj = obj.DeepCopyObject()
	obj.(metav1.Object).SetLabels(map[string]string{"changed": "yes"})
	return obj
}

func TestValidate(t *testing.T) {
	const url = "https://broker.example.com"
	tests := []struct {
		name     string
		obj, old runtime.Object
		// reviewed are the Secrets (namespace/name) asked about.
		reviewed []string
		// forbidden, if set, is what the 403 must say.
		forbidden string
	}{
		{name: "instance without Secrets", obj: instance()},
		{name: "instance naming a readable Secret", obj: instance("mine"), reviewed: []string{"team-a/mine"}},
		{name: "instance naming a Secret twice", obj: instance("mine", "mine"), reviewed: []string{"team-a/mine"}},
		{name: "instance naming an unreadable Secret", obj: instance("mine", "theirs"), reviewed: []string{"team-a/mine", "team-a/theirs"},
			forbidden: `spec.parametersFrom[1].secretKeyRef.name: user "alice" cannot get Secret "theirs" in namespace "team-a"`},
		{name: "instance update keeping an unreadable Secret", obj: withLabel(instance("theirs")), old: instance("theirs")},
		{name: "instance update adding a readable Secret", obj: instance("theirs", "mine"), old: instance("theirs"), reviewed: []string{"team-a/mine"}},
		{name: "instance update adding an unreadable Secret", obj: instance("mine", "theirs"), old: instance("mine"), reviewed: []string{"team-a/theirs"},
			forbidden: `spec.parametersFrom[1].secretKeyRef.name: user "alice" cannot get Secret "theirs"`},
		// A spec change (an updateRequests bump, say) makes the controller send the values of
		// every parametersFrom Secret again, under this user's identity: all are checked.
		{name: "instance spec change keeping an unreadable Secret", obj: bumped(instance("mine", "theirs")), old: instance("mine", "theirs"),
			reviewed: []string{"team-a/mine", "team-a/theirs"}, forbidden: `spec.parametersFrom[1].secretKeyRef.name: user "alice" cannot get Secret "theirs"`},
		{name: "instance naming two unreadable Secrets", obj: instance("theirs", "mine", "others"),
			reviewed: []string{"team-a/theirs", "team-a/mine", "team-a/others"},
			forbidden: `spec.parametersFrom[0].secretKeyRef.name: user "alice" cannot get Secret "theirs" in namespace "team-a"; ` +
				`spec.parametersFrom[2].secretKeyRef.name: user "alice" cannot get Secret "others" in namespace "team-a"`},
		{name: "instance spec change keeping a readable Secret", obj: bumped(instance("mine")), old: instance("mine"), reviewed: []string{"team-a/mine"}},
		{name: "binding without Secrets", obj: binding("")},
		{name: "binding naming readable Secrets", obj: binding("mine", "mine"), reviewed: []string{"team-a/mine"}},
		{name: "binding parameters from an unreadable Secret", obj: binding("", "theirs"), reviewed: []string{"team-a/theirs"},
			forbidden: `spec.parametersFrom[0].secretKeyRef.name: user "alice" cannot get Secret "theirs"`},
		{name: "binding adding keys from an unreadable Secret", obj: binding("theirs"), reviewed: []string{"team-a/theirs"},
			forbidden: `spec.secretTransforms[1].addKeysFrom.secretRef: user "alice" cannot get Secret "theirs"`},
		{name: "binding update keeping its Secrets", obj: withLabel(binding("theirs", "theirs")), old: binding("theirs", "theirs")},
		{name: "broker without credentials", obj: broker(url, "")},
		{name: "broker with readable credentials", obj: broker(url, "broker-mine"), reviewed: []string{"catalog/broker-mine"}},
		{name: "broker with unreadable credentials", obj: broker(url, "broker-theirs"), reviewed: []string{"catalog/broker-theirs"},
			forbidden: `spec.authInfo.basic.secretRef: user "alice" cannot get Secret "broker-theirs" in namespace "catalog"`},
		{name: "broker with unreadable bearer token", obj: bearerBroker("broker-theirs"), reviewed: []string{"catalog/broker-theirs"},
			forbidden: `spec.authInfo.bearer.secretRef: user "alice" cannot get Secret "broker-theirs"`},
		{name: "broker metadata update", obj: withLabel(broker(url, "broker-theirs")), old: broker(url, "broker-theirs")},
		{name: "broker moved to another URL", obj: broker("https://attacker.example.com", "broker-theirs"), old: broker(url, "broker-theirs"),
			reviewed: []string{"catalog/broker-theirs"}, forbidden: `spec.authInfo.basic.secretRef: user "alice" cannot get Secret "broker-theirs"`},
	}
	// The brokers' cases again on their namespaced twins (scopetest), whose Secrets are in
	// their own namespace.
	for _, tc := range slices.Clone(tests) {
		b, ok := tc.obj.(*sc.ClusterServiceBroker)
		if !ok {
			continue
		}
		twin := tc
		twin.name, twin.obj = "namespaced "+tc.name, scopetest.Broker(b)
		if tc.old != nil {
			twin.old = scopetest.Broker(tc.old.(*sc.ClusterServiceBroker))
		}
		twin.reviewed = nil
		for _, r := range tc.reviewed {
			twin.reviewed = append(twin.reviewed, strings.Replace(r, "catalog/", scopetest.Namespace+"/", 1))
		}
		twin.forbidden = strings.ReplaceAll(tc.forbidden, `namespace "catalog"`, `namespace "`+scopetest.Namespace+`"`)
		tests = append(tests, twin)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, reviews := newPlugin(t)
			err := admissiontest.Validate(p, admissiontest.Attributes(tc.obj, tc.old))
			switch {
			case tc.forbidden == "" && err != nil:
				t.Errorf("got %v, want the request allowed", err)
			case tc.forbidden != "" && (!apierrors.IsForbidden(err) || !strings.Contains(err.Error(), tc.forbidden)):
				t.Errorf("got %v, want Forbidden: %s", err, tc.forbidden)
			}
			var reviewed []string
			for _, r := range *reviews {
				reviewed = append(reviewed, r.ResourceAttributes.Namespace+"/"+r.ResourceAttributes.Name)
			}
			if !slices.Equal(reviewed, tc.reviewed) {
				t.Errorf("reviewed %v, want %v", reviewed, tc.reviewed)
			}
		})
	}
}

func TestReviewAsksAboutTheRequestingUser(t *testing.T) {
	p, reviews := newPlugin(t)
	if err := admissiontest.Validate(p, admissiontest.Attributes(instance("mine"), nil)); err != nil {
		t.Fatal(err)
	}
	if len(*reviews) != 1 {
		t.Fatalf("got %d reviews, want 1", len(*reviews))
	}
	got, u := (*reviews)[0], admissiontest.User
	want := authorizationv1.SubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "team-a", Verb: "get", Version: "v1", Resource: "secrets", Name: "mine"},
		User:               u.Name, UID: u.UID, Groups: u.Groups,
		Extra: map[string]authorizationv1.ExtraValue{"scopes": {"one", "two"}},
	}
	if !apiequality.Semantic.DeepEqual(got, want) {
		t.Errorf("review spec\n%+v\nwant\n%+v", got, want)
	}
}

func TestReviewFailureRefuses(t *testing.T) {
	p, _ := newPlugin(t)
	err := admissiontest.Validate(p, admissiontest.Attributes(instance("broken"), nil))
	if !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), "team-a/broken") {
		t.Errorf("got %v, want an internal error about Secret team-a/broken", err)
	}
}

func TestIgnoresSubresources(t *testing.T) {
	p, reviews := newPlugin(t)
	a := admissiontest.AttributesFor(instance("theirs"), instance(), "status", admissiontest.User)
	if err := admissiontest.Validate(p, a); err != nil || len(*reviews) != 0 {
		t.Errorf("status update: %v, %d reviews; want allowed without reviews", err, len(*reviews))
	}
}

func TestValidateInitialization(t *testing.T) {
	if err := New().ValidateInitialization(); err == nil {
		t.Error("no error without a client")
	}
}

// bumped is an instance whose spec changed: an updateRequests bump, which the API server
// counts as a new generation.
func bumped(i *sc.ServiceInstance) *sc.ServiceInstance {
	i.Spec.UpdateRequests++
	i.Generation++
	return i
}
