// Package secretaccess holds the SecretAccessCheck admission plugin: it refuses an
// instance, binding or broker (a ClusterServiceBroker or a ServiceBroker) that names a
// Secret the requesting user may not read.
//
// The controller reads those Secrets on the user's behalf: parametersFrom values go to
// the broker, addKeysFrom keys go into the binding's Secret, and broker credentials go to
// the broker's URL. Without this check a user could have the controller copy a Secret
// they cannot read to a broker or into a Secret they can read.
//
// The plugin asks the Kubernetes API with a SubjectAccessReview per Secret, so it needs
// the core API and does not run in standalone mode. It caches nothing.
package secretaccess

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/admission"
	genericinitializer "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/access"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/helper"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// PluginName is the name of the plugin in --enable-admission-plugins.
const PluginName = "SecretAccessCheck"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the SecretAccessCheck admission plugin.
//
// On create every named Secret is checked. On update of an instance whose spec changed
// (any change, an updateRequests bump included, makes the controller send the values of
// its parametersFrom Secrets to the broker under the requesting user's identity) every
// named Secret is checked again; otherwise, and for bindings, only the Secrets the old
// object did not name are checked; on update of a broker its Secret is
// checked again whenever its settings or its Secret change, since a new URL or CA would
// send the same credentials elsewhere. Brokers of both scopes are checked alike; a
// ServiceBroker's Secret is in its own namespace.
type Plugin struct {
	*admission.Handler
	access.Reviewer
}

var (
	_ admission.ValidationInterface                 = &Plugin{}
	_ genericinitializer.WantsExternalKubeClientSet = &Plugin{}
)

// New returns the plugin; it handles creates and updates.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create, admission.Update), Reviewer: access.NewReviewer(PluginName)}
}

// secretRef is a Secret an object names, and where.
type secretRef struct {
	namespace, name string
	field           *field.Path
}

// Validate refuses the request unless its user may get every Secret to check.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetSubresource() != "" {
		return nil
	}
	refs := secretRefsToCheck(a.GetObject(), a.GetOldObject())
	if len(refs) == 0 {
		return nil
	}
	u := a.GetUserInfo()
	if u == nil {
		return admission.NewForbidden(a, fmt.Errorf("no user to check access to Secrets for"))
	}
	var denied []string
	checked := map[[2]string]bool{}
	for _, ref := range refs {
		key := [2]string{ref.namespace, ref.name}
		if checked[key] {
			continue
		}
		checked[key] = true
		allowed, err := p.mayGet(ctx, u, ref)
		if err != nil {
			return apierrors.NewInternalError(fmt.Errorf("checking access to Secret %s/%s: %w", ref.namespace, ref.name, err))
		}
		if !allowed {
			denied = append(denied, fmt.Sprintf("%s: user %q cannot get Secret %q in namespace %q",
				ref.field, u.GetName(), ref.name, ref.namespace))
		}
	}
	if len(denied) > 0 {
		// Every Secret the user may not read is named, so one fix settles the request.
		return admission.NewForbidden(a, errors.New(strings.Join(denied, "; ")))
	}
	return nil
}

// mayGet asks the Kubernetes API whether u may get the Secret.
func (p *Plugin) mayGet(ctx context.Context, u user.Info, ref secretRef) (bool, error) {
	return p.Allowed(ctx, u, getSecret(ref.namespace, ref.name))
}

// MayGet asks the Kubernetes API, with a SubjectAccessReview, whether u may get a Secret.
func MayGet(ctx context.Context, client kubernetes.Interface, u user.Info, namespace, name string) (bool, error) {
	return access.Allowed(ctx, client, u, getSecret(namespace, name))
}

// getSecret are the attributes of getting a Secret.
func getSecret(namespace, name string) authorizationv1.ResourceAttributes {
	return authorizationv1.ResourceAttributes{Namespace: namespace, Verb: "get", Version: "v1", Resource: "secrets", Name: name}
}

// secretRefsToCheck returns the Secrets obj names that must be checked, given the old
// object of an update (nil on create).
func secretRefsToCheck(obj, old runtime.Object) []secretRef {
	switch o := obj.(type) {
	case *sc.ServiceInstance:
		refs := parametersFrom(o.Namespace, o.Spec.ParametersFrom)
		if old, ok := old.(*sc.ServiceInstance); ok && old.Generation == o.Generation {
			// No spec change: nothing makes the controller send the Secrets' values again.
			refs = added(refs, parametersFrom(old.Namespace, old.Spec.ParametersFrom))
		}
		return refs
	case *sc.ServiceBinding:
		refs := bindingRefs(o)
		if old, ok := old.(*sc.ServiceBinding); ok {
			refs = added(refs, bindingRefs(old))
		}
		return refs
	case *sc.ClusterServiceBroker, *sc.ServiceBroker:
		return brokerRefs(obj, old)
	}
	return nil
}

func parametersFrom(namespace string, sources []sc.ParametersFromSource) []secretRef {
	var refs []secretRef
	path := field.NewPath("spec", "parametersFrom")
	for i, s := range sources {
		if s.SecretKeyRef != nil {
			refs = append(refs, secretRef{namespace, s.SecretKeyRef.Name, path.Index(i).Child("secretKeyRef", "name")})
		}
	}
	return refs
}

func bindingRefs(b *sc.ServiceBinding) []secretRef {
	refs := parametersFrom(b.Namespace, b.Spec.ParametersFrom)
	path := field.NewPath("spec", "secretTransforms")
	for i, t := range b.Spec.SecretTransforms {
		if t.AddKeysFrom != nil && t.AddKeysFrom.SecretRef != nil {
			// Validation allows only the binding's own namespace.
			refs = append(refs, secretRef{b.Namespace, t.AddKeysFrom.SecretRef.Name, path.Index(i).Child("addKeysFrom", "secretRef")})
		}
	}
	return refs
}

// brokerRefs returns the Secret of the credentials of a broker of either scope (a
// ServiceBroker's is in its namespace). An update is checked when the broker's settings or
// its Secret changed: a new URL or CA would send the same credentials elsewhere.
func brokerRefs(obj, old runtime.Object) []secretRef {
	b, ok := brokerOf(obj)
	if !ok {
		return nil
	}
	if prev, ok := brokerOf(old); ok && helper.Semantic.DeepEqual(*b.Spec, *prev.Spec) &&
		reflect.DeepEqual(b.BasicSecret, prev.BasicSecret) && reflect.DeepEqual(b.BearerSecret, prev.BearerSecret) {
		return nil
	}
	path := field.NewPath("spec", "authInfo")
	var refs []secretRef
	for _, m := range []struct {
		method string
		secret *types.NamespacedName
	}{{"basic", b.BasicSecret}, {"bearer", b.BearerSecret}} {
		if m.secret != nil && m.secret.Name != "" {
			refs = append(refs, secretRef{m.secret.Namespace, m.secret.Name, path.Child(m.method, "secretRef")})
		}
	}
	return refs
}

// versions converts the internal objects admission sees to the v1beta1 ones the
// catalog's views read.
var versions = func() *runtime.Scheme {
	s := runtime.NewScheme()
	install.Install(s)
	return s
}()

// brokerOf returns the view of an internal ClusterServiceBroker or ServiceBroker.
func brokerOf(obj runtime.Object) (*catalog.Broker, bool) {
	switch obj.(type) {
	case *sc.ClusterServiceBroker, *sc.ServiceBroker:
	default:
		return nil, false
	}
	versioned, err := versions.ConvertToVersion(obj.DeepCopyObject(), v1beta1.SchemeGroupVersion)
	if err != nil {
		return nil, false
	}
	return catalog.BrokerOf(versioned)
}

// added returns the references of refs to Secrets that old does not name.
func added(refs, old []secretRef) []secretRef {
	had := map[[2]string]bool{}
	for _, r := range old {
		had[[2]string{r.namespace, r.name}] = true
	}
	var out []secretRef
	for _, r := range refs {
		if !had[[2]string{r.namespace, r.name}] {
			out = append(out, r)
		}
	}
	return out
}
