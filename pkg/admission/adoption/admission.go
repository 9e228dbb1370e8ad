// Package adoption holds the AdoptionCheck admission plugin: only a user who may "adopt"
// serviceinstances in a namespace may ask the catalog to adopt an instance a broker
// already holds (the servicecatalog.k8s.io/adopt annotation), since the adopted
// instance, and the credentials of its bindings, become theirs.
//
// The plugin asks the Kubernetes API with a SubjectAccessReview, so it does not run in
// standalone mode, where the only user is the local admin.
package adoption

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
const PluginName = "AdoptionCheck"

// Annotation is the annotation that asks for adoption (value "true").
const Annotation = "servicecatalog.k8s.io/adopt"

// AdoptVerb is the verb on serviceinstances that lets a user ask for adoption.
const AdoptVerb = "adopt"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the AdoptionCheck admission plugin.
type Plugin struct {
	*admission.Handler
	access.Reviewer
}

var (
	_ admission.ValidationInterface                 = &Plugin{}
	_ genericinitializer.WantsExternalKubeClientSet = &Plugin{}
)

// New returns the plugin; it handles instance creates and updates.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create, admission.Update), Reviewer: access.NewReviewer(PluginName)}
}

// Validate refuses an instance that asks for adoption, newly, unless its user may adopt
// serviceinstances in its namespace.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != sc.Resource("serviceinstances") || a.GetSubresource() != "" {
		return nil
	}
	instance, ok := a.GetObject().(*sc.ServiceInstance)
	if !ok || instance.Annotations[Annotation] != "true" {
		return nil
	}
	if old, ok := a.GetOldObject().(*sc.ServiceInstance); ok && old.Annotations[Annotation] == "true" {
		return nil
	}
	u := a.GetUserInfo()
	if u == nil {
		return admission.NewForbidden(a, fmt.Errorf("no user to check the %q verb for", AdoptVerb))
	}
	allowed, err := p.Allowed(ctx, u, authorizationv1.ResourceAttributes{
		Namespace: a.GetNamespace(), Verb: AdoptVerb, Group: sc.GroupName, Resource: "serviceinstances", Name: a.GetName(),
	})
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("checking the %q verb on serviceinstances in %s: %w", AdoptVerb, a.GetNamespace(), err))
	}
	if !allowed {
		return admission.NewForbidden(a, fmt.Errorf(
			"metadata.annotations[%s]: user %q cannot %s serviceinstances in namespace %q: adopting an instance the broker already holds needs the %q verb on serviceinstances",
			Annotation, u.GetName(), AdoptVerb, a.GetNamespace(), AdoptVerb))
	}
	return nil
}
