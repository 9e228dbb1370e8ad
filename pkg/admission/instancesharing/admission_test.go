package instancesharing

import (
	"errors"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// newPlugin returns the plugin on a fake Kubernetes API where admissiontest.User may bind
// serviceinstances in namespace "shared" only, and the reviews it received.
func newPlugin(t *testing.T) (*Plugin, *[]authorizationv1.ResourceAttributes) {
	t.Helper()
	client := fake.NewClientset()
	var reviews []authorizationv1.ResourceAttributes
	client.PrependReactor("create", "subjectaccessreviews", func(action clienttesting.Action) (bool, runtime.Object, error) {
		review := action.(clienttesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview).DeepCopy()
		attrs := review.Spec.ResourceAttributes
		reviews = append(reviews, *attrs)
		if attrs.Namespace == "broken" {
			return true, nil, errors.New("connection refused")
		}
		review.Status.Allowed = review.Spec.User == admissiontest.User.Name && attrs.Namespace == "shared" &&
			attrs.Verb == "bind" && attrs.Group == sc.GroupName && attrs.Resource == "serviceinstances"
		return true, review, nil
	})
	p := New()
	p.SetExternalKubeClientSet(client)
	if err := p.ValidateInitialization(); err != nil {
		t.Fatal(err)
	}
	return p, &reviews
}

func binding(instanceNamespace string) *sc.ServiceBinding {
	return &sc.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "creds"},
		Spec:       sc.ServiceBindingSpec{InstanceRef: sc.ServiceInstanceReference{Namespace: instanceNamespace, Name: "db"}},
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		namespace string
		reviewed  bool
		forbidden string
		internal  bool
	}{
		{name: "an instance of the binding's namespace", namespace: ""},
		{name: "the binding's namespace named", namespace: "team-a"},
		{name: "another namespace where the user may bind", namespace: "shared", reviewed: true},
		{name: "another namespace where the user may not bind", namespace: "private", reviewed: true,
			forbidden: `spec.instanceRef: user "alice" cannot bind serviceinstances "db" in namespace "private": binding to an instance of another namespace needs the "bind" verb on serviceinstances in that namespace`},
		{name: "the review fails", namespace: "broken", reviewed: true, internal: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, reviews := newPlugin(t)
			err := admissiontest.Validate(p, admissiontest.Attributes(binding(tc.namespace), nil))
			switch {
			case tc.forbidden != "":
				if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), tc.forbidden) {
					t.Errorf("error %v, want a 403 saying %q", err, tc.forbidden)
				}
			case tc.internal:
				if !apierrors.IsInternalError(err) {
					t.Errorf("error %v, want a 500: an unanswered review allows nothing", err)
				}
			case err != nil:
				t.Errorf("error %v", err)
			}
			want := 0
			if tc.reviewed {
				want = 1
				if got := (*reviews)[0]; got.Name != "db" || got.Namespace != tc.namespace {
					t.Errorf("reviewed %+v", got)
				}
			}
			if len(*reviews) != want {
				t.Errorf("%d reviews, want %d", len(*reviews), want)
			}
		})
	}
}

// An update is not checked: instanceRef cannot change, and the binding was checked when
// it was created.
func TestUpdatesAreNotChecked(t *testing.T) {
	p, reviews := newPlugin(t)
	if err := admissiontest.Validate(p, admissiontest.Attributes(binding("private"), binding("private"))); err != nil || len(*reviews) != 0 {
		t.Errorf("error %v, %d reviews", err, len(*reviews))
	}
}
