// Package access asks the Kubernetes API what a user may do, for admission plugins that
// let the controller act on a user's behalf.
package access

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/kubernetes"
)

// Allowed asks the Kubernetes API, with a SubjectAccessReview, whether u may do what
// attrs say.
func Allowed(ctx context.Context, client kubernetes.Interface, u user.Info, attrs authorizationv1.ResourceAttributes) (bool, error) {
	var extra map[string]authorizationv1.ExtraValue
	if len(u.GetExtra()) > 0 {
		extra = map[string]authorizationv1.ExtraValue{}
		for k, v := range u.GetExtra() {
			extra[k] = v
		}
	}
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		ResourceAttributes: &attrs,
		User:               u.GetName(), UID: u.GetUID(), Groups: u.GetGroups(), Extra: extra,
	}}
	review, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return review.Status.Allowed, nil
}

// Reviewer asks the Kubernetes API what users may do. Embedded in an admission plugin, it
// takes the Kubernetes client from the initializer and fails initialization without one.
type Reviewer struct {
	client kubernetes.Interface
	plugin string
}

// NewReviewer returns the reviewer of the plugin called plugin.
func NewReviewer(plugin string) Reviewer { return Reviewer{plugin: plugin} }

// SetExternalKubeClientSet takes the client of the Kubernetes API.
func (r *Reviewer) SetExternalKubeClientSet(client kubernetes.Interface) { r.client = client }

// ValidateInitialization fails until the reviewer has a Kubernetes client.
func (r *Reviewer) ValidateInitialization() error {
	if r.client == nil {
		return fmt.Errorf("%s: missing the Kubernetes client", r.plugin)
	}
	return nil
}

// Allowed asks whether u may do what attrs say (see the function Allowed).
func (r *Reviewer) Allowed(ctx context.Context, u user.Info, attrs authorizationv1.ResourceAttributes) (bool, error) {
	return Allowed(ctx, r.client, u, attrs)
}
