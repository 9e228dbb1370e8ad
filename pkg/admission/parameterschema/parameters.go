package parameterschema

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/kube-service-catalog/catalog/pkg/admission/secretaccess"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/parameters"
)

// unchecked says why parameters could not be checked; the request is let through with a
// warning, and the controller reports what is wrong.
type unchecked struct{ reason string }

func (u *unchecked) Error() string { return u.reason }

// parametersOf merges the inline parameters with those from the Secrets parametersFrom
// names, as the controller will send them. Secrets are read only when the requesting
// user may read them; a Secret that cannot be read, or parameters the controller would
// refuse, leave the parameters unchecked.
func (p *Plugin) parametersOf(ctx context.Context, u user.Info, namespace string, inline *runtime.RawExtension, from []sc.ParametersFromSource) (map[string]any, error) {
	sources := make([]v1beta1.ParametersFromSource, 0, len(from))
	for _, f := range from {
		if f.SecretKeyRef == nil {
			continue
		}
		if p.client == nil {
			return nil, &unchecked{"the values of parametersFrom cannot be read without the Kubernetes API"}
		}
		allowed, err := secretaccess.MayGet(ctx, p.client, u, namespace, f.SecretKeyRef.Name)
		if err != nil {
			return nil, fmt.Errorf("checking access to Secret %s/%s: %w", namespace, f.SecretKeyRef.Name, err)
		}
		if !allowed {
			return nil, &unchecked{fmt.Sprintf("user %q cannot read Secret %q", u.GetName(), f.SecretKeyRef.Name)}
		}
		sources = append(sources, v1beta1.ParametersFromSource{SecretKeyRef: &v1beta1.SecretKeyReference{Name: f.SecretKeyRef.Name, Key: f.SecretKeyRef.Key}})
	}
	var values map[string]any
	var err error
	if len(sources) == 0 {
		values, err = parameters.Inline(inline)
	} else {
		var built *parameters.Parameters
		if built, err = parameters.Build(ctx, p.client.CoreV1(), namespace, inline, sources); err == nil {
			values = built.Values
		}
	}
	var pe *parameters.Error
	if errors.As(err, &pe) {
		return nil, &unchecked{pe.Error()}
	}
	return values, err
}
