package adoption

import (
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

// newPlugin returns the plugin on a fake Kubernetes API where admissiontest.User may
// adopt serviceinstances in namespace "platform" only, and the number of reviews.
func newPlugin(t *testing.T) (*Plugin, *int) {
	t.Helper()
	client := fake.NewClientset()
	reviews := 0
	client.PrependReactor("create", "subjectaccessreviews", func(action clienttesting.Action) (bool, runtime.Object, error) {
		review := action.(clienttesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview).DeepCopy()
		reviews++
		attrs := review.Spec.ResourceAttributes
		review.Status.Allowed = review.Spec.User == admissiontest.User.Name && attrs.Namespace == "platform" &&
			attrs.Verb == "adopt" && attrs.Group == sc.GroupName && attrs.Resource == "serviceinstances"
		return true, review, nil
	})
	p := New()
	p.SetExternalKubeClientSet(client)
	if err := p.ValidateInitialization(); err != nil {
		t.Fatal(err)
	}
	return p, &reviews
}

func instance(namespace, adopt string) *sc.ServiceInstance {
	i := &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "db"}}
	if adopt != "" {
		i.Annotations = map[string]string{Annotation: adopt}
	}
	return i
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		obj, old  *sc.ServiceInstance
		reviews   int
		forbidden string
	}{
		{name: "no adoption asked", obj: instance("team-a", "")},
		{name: "another value", obj: instance("team-a", "false")},
		{name: "asked where the user may adopt", obj: instance("platform", "true"), reviews: 1},
		{name: "asked where the user may not", obj: instance("team-a", "true"), reviews: 1,
			forbidden: `metadata.annotations[servicecatalog.k8s.io/adopt]: user "alice" cannot adopt serviceinstances in namespace "team-a"`},
		{name: "added by an update", obj: instance("team-a", "true"), old: instance("team-a", ""), reviews: 1, forbidden: "cannot adopt"},
		{name: "kept by an update", obj: instance("team-a", "true"), old: instance("team-a", "true")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, reviews := newPlugin(t)
			var old runtime.Object
			if tc.old != nil {
				old = tc.old
			}
			err := admissiontest.Validate(p, admissiontest.Attributes(tc.obj, old))
			switch {
			case tc.forbidden != "":
				if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), tc.forbidden) {
					t.Errorf("error %v, want a 403 saying %q", err, tc.forbidden)
				}
			case err != nil:
				t.Errorf("error %v", err)
			}
			if *reviews != tc.reviews {
				t.Errorf("%d reviews, want %d", *reviews, tc.reviews)
			}
		})
	}
}
