// Package instancesharing holds the ServiceInstanceSharing admission plugin: a binding
// may name an instance of another namespace only when the requesting user may "bind"
// serviceinstances there.
//
// Sharing is governed by plain RBAC: the owners of the instance's namespace grant the
// bind verb (the aggregated admin and edit roles carry it for their namespace), and
// `kubectl auth can-i bind serviceinstances -n <namespace>` tells a user whether they
// have it. The plugin asks the Kubernetes API with a SubjectAccessReview, so it does not
// run in standalone mode, where the only user is the local admin.
package instancesharing

import (
	"context"
	"fmt"
	"io"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"
	genericinitializer "k8s.io/apiserver/pkg/admission/initializer"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/access"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// PluginName is the name of the plugin in --enable-admission-plugins.
const PluginName = "ServiceInstanceSharing"

// BindVerb is the verb on serviceinstances that lets a user bind an instance from
// another namespace.
const BindVerb = "bind"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the ServiceInstanceSharing admission plugin. It checks creates only: a
// binding's instanceRef cannot change.
type Plugin struct {
	*admission.Handler
	access.Reviewer
}

var (
	_ admission.ValidationInterface                 = &Plugin{}
	_ genericinitializer.WantsExternalKubeClientSet = &Plugin{}
)

// New returns the plugin; it handles binding creation.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create), Reviewer: access.NewReviewer(PluginName)}
}

// Validate refuses a binding to an instance of another namespace unless its user may
// bind serviceinstances there.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != sc.Resource("servicebindings") || a.GetSubresource() != "" {
		return nil
	}
	binding, ok := a.GetObject().(*sc.ServiceBinding)
	if !ok {
		return apierrors.NewBadRequest(fmt.Sprintf("%s: unexpected object %T", PluginName, a.GetObject()))
	}
	if binding.Spec.InstanceRef.Namespace == "" || binding.Spec.InstanceRef.Namespace == a.GetNamespace() {
		return nil
	}
	u := a.GetUserInfo()
	if u == nil {
		return admission.NewForbidden(a, fmt.Errorf("no user to check the %q verb for", BindVerb))
	}
	namespace, name := binding.Spec.InstanceRef.Namespace, binding.Spec.InstanceRef.Name
	allowed, err := p.Allowed(ctx, u, authorizationv1.ResourceAttributes{
		Namespace: namespace, Verb: BindVerb, Group: sc.GroupName, Resource: "serviceinstances", Name: name,
	})
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("checking the %q verb on serviceinstance %s/%s: %w", BindVerb, namespace, name, err))
	}
	if !allowed {
		return admission.NewForbidden(a, fmt.Errorf(
			"spec.instanceRef: user %q cannot %s serviceinstances %q in namespace %q: binding to an instance of another namespace needs the %q verb on serviceinstances in that namespace",
			u.GetName(), BindVerb, name, namespace, BindVerb))
	}
	return nil
}
