package servicebinding

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/util/jsonpath"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Keys the servicebinding.io specification reserves in a binding Secret.
const (
	// SecretLabel labels the Secrets the catalog writes with their binding's UID; the
	// controller watches only the Secrets that carry it.
	SecretLabel = "servicecatalog.k8s.io/binding-uid"
	// TypeKey classifies the binding, e.g. "postgresql".
	TypeKey = "type"
	// ProviderKey names who provides the service.
	ProviderKey = "provider"
	// SecretTypePrefix prefixes the Secret type of a binding Secret with a "type" key.
	SecretTypePrefix = "servicebinding.io/"
	// EndpointsKey holds the endpoints of the broker's answer, as a JSON list of
	// {"host", "ports", "protocol"} objects, unless the credentials have a key of that
	// name.
	EndpointsKey = "endpoints"
)

// secretError is a problem with the Secret that retrying cannot fix: the transforms do
// not fit the broker's credentials, or the credentials have keys a Secret cannot hold.
// Its message never holds a credential value.
type secretError struct {
	msg string
}

func (e *secretError) Error() string { return e.msg }

// missingSourceError is a Secret named by addKeysFrom that does not exist (yet).
type missingSourceError struct {
	msg string
}

func (e *missingSourceError) Error() string { return e.msg }

// secretExistsError is a Secret with the binding's secretName that the binding does not
// control.
type secretExistsError struct {
	name string
}

func (e *secretExistsError) Error() string {
	return fmt.Sprintf("The Secret %q exists and is not controlled by this binding; it is left untouched. "+
		"The credentials are written once it is deleted.", e.name)
}

// secretName is the name of the binding's Secret.
func secretName(binding *v1beta1.ServiceBinding) string {
	if binding.Spec.SecretName != "" {
		return binding.Spec.SecretName
	}
	return binding.Name
}

// credentialsData turns the broker's credentials object into Secret data: one key per
// top-level field, strings as they are and every other value as JSON.
func credentialsData(credentials map[string]any) (map[string][]byte, error) {
	data := make(map[string][]byte, len(credentials)+2)
	for k, v := range credentials {
		b, err := encodeValue(v)
		if err != nil {
			return nil, &secretError{msg: fmt.Sprintf("The credential %q cannot be encoded.", k)}
		}
		data[k] = b
	}
	return data, nil
}

// withEndpoints returns the credentials with the broker's endpoints added under
// EndpointsKey, as JSON values: a list of objects with a host, ports as strings and a
// protocol (tcp when the broker gave none). The credentials are returned as they are when
// there are no endpoints or a credential has that key: the broker's key wins. Secret
// transforms see the endpoints as one more credential, so that a JSONPath such as
// {.endpoints[0].host} finds them.
func withEndpoints(credentials map[string]any, endpoints []osb.Endpoint) map[string]any {
	if _, taken := credentials[EndpointsKey]; taken || len(endpoints) == 0 {
		return credentials
	}
	list := make([]any, 0, len(endpoints))
	for _, e := range endpoints {
		ports := make([]any, 0, len(e.Ports))
		for _, p := range e.Ports {
			ports = append(ports, p)
		}
		protocol := e.Protocol
		if protocol == "" {
			protocol = "tcp"
		}
		list = append(list, map[string]any{"host": e.Host, "ports": ports, "protocol": protocol})
	}
	out := maps.Clone(credentials)
	if out == nil {
		out = map[string]any{}
	}
	out[EndpointsKey] = list
	return out
}

// encodeValue returns a string as its bytes and anything else as JSON.
func encodeValue(v any) ([]byte, error) {
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	return json.Marshal(v)
}

// buildSecret returns the binding's Secret for the broker's credentials: their keys, the
// servicebinding.io type and provider unless the credentials have them, then the
// binding's secretTransforms in order. secrets reads the Secrets named by addKeysFrom, in
// the binding's namespace.
func buildSecret(ctx context.Context, secrets corev1client.SecretsGetter, binding *v1beta1.ServiceBinding, credentials map[string]any, serviceType, provider string) (*corev1.Secret, error) {
	data, err := credentialsData(credentials)
	if err != nil {
		return nil, err
	}
	if _, ok := data[TypeKey]; !ok {
		data[TypeKey] = []byte(serviceType)
	}
	if _, ok := data[ProviderKey]; !ok {
		data[ProviderKey] = []byte(provider)
	}
	for i, t := range binding.Spec.SecretTransforms {
		if err := applyTransform(ctx, secrets, binding.Namespace, i, &t, credentials, data); err != nil {
			return nil, err
		}
	}
	var invalid []string
	for k := range data {
		if len(validation.IsConfigMapKey(k)) > 0 {
			invalid = append(invalid, fmt.Sprintf("%q", k))
		}
	}
	if len(invalid) > 0 {
		sort.Strings(invalid)
		return nil, &secretError{msg: fmt.Sprintf("The credentials have keys a Secret cannot hold: %s; rename them with secretTransforms.",
			strings.Join(invalid, ", "))}
	}
	secretType := corev1.SecretTypeOpaque
	if t := string(data[TypeKey]); t != "" && len(validation.IsDNS1123Subdomain(t)) == 0 {
		secretType = corev1.SecretType(SecretTypePrefix + t)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       binding.Namespace,
			Name:            secretName(binding),
			Labels:          map[string]string{SecretLabel: string(binding.UID)},
			OwnerReferences: []metav1.OwnerReference{ownerReference(binding)},
		},
		Type: secretType,
		Data: data,
	}, nil
}

// ownerReference makes the binding the Secret's controller, so that the garbage
// collector deletes the Secret with the binding. blockOwnerDeletion is not set: the loop
// deletes the Secret itself before releasing the binding, and setting it would need
// permission to update servicebindings/finalizers where OwnerReferencesPermissionEnforcement
// is on.
func ownerReference(binding *v1beta1.ServiceBinding) metav1.OwnerReference {
	ref := metav1.NewControllerRef(binding, v1beta1.SchemeGroupVersion.WithKind("ServiceBinding"))
	ref.BlockOwnerDeletion = nil
	return *ref
}

// applyTransform applies the i-th secretTransform to data. A JSONPath is evaluated
// against the broker's original credentials object.
func applyTransform(ctx context.Context, secrets corev1client.SecretsGetter, namespace string, i int, t *v1beta1.SecretTransform, credentials map[string]any, data map[string][]byte) error {
	switch {
	case t.RenameKey != nil:
		if v, ok := data[t.RenameKey.From]; ok {
			delete(data, t.RenameKey.From)
			data[t.RenameKey.To] = v
		}
	case t.AddKey != nil:
		switch a := t.AddKey; {
		case a.StringValue != nil:
			data[a.Key] = []byte(*a.StringValue)
		case a.JSONPathExpression != nil:
			v, err := evalJSONPath(*a.JSONPathExpression, credentials)
			if err != nil {
				return &secretError{msg: fmt.Sprintf("spec.secretTransforms[%d].addKey: the JSONPath expression %q %s.", i, *a.JSONPathExpression, err)}
			}
			data[a.Key] = v
		default:
			data[a.Key] = bytes.Clone(a.Value)
		}
	case t.AddKeysFrom != nil && t.AddKeysFrom.SecretRef != nil:
		ref := t.AddKeysFrom.SecretRef
		source, err := readSource(ctx, secrets, namespace, i, ref)
		if err != nil {
			return err
		}
		maps.Copy(data, source.Data)
	case t.RemoveKey != nil:
		delete(data, t.RemoveKey.Key)
	}
	return nil
}

// readSource reads the Secret an addKeysFrom names. It must be in the binding's namespace
// (validation refuses any other).
func readSource(ctx context.Context, secrets corev1client.SecretsGetter, namespace string, i int, ref *v1beta1.ObjectReference) (*corev1.Secret, error) {
	if ref.Namespace != "" && ref.Namespace != namespace {
		return nil, &secretError{msg: fmt.Sprintf("spec.secretTransforms[%d].addKeysFrom names a Secret in another namespace.", i)}
	}
	source, err := secrets.Secrets(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &missingSourceError{msg: fmt.Sprintf("The Secret %q named by spec.secretTransforms[%d].addKeysFrom does not exist.", ref.Name, i)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s/%s: %w", namespace, ref.Name, err)
	}
	return source, nil
}

// checkSources tells whether every Secret addKeysFrom names exists, before the broker is
// asked for credentials that could then not be written.
func checkSources(ctx context.Context, secrets corev1client.SecretsGetter, binding *v1beta1.ServiceBinding) error {
	for i, t := range binding.Spec.SecretTransforms {
		if t.AddKeysFrom == nil || t.AddKeysFrom.SecretRef == nil {
			continue
		}
		if _, err := readSource(ctx, secrets, binding.Namespace, i, t.AddKeysFrom.SecretRef); err != nil {
			return err
		}
	}
	return nil
}

// evalJSONPath evaluates a JSONPath template against the credentials. Its error completes
// a sentence and never quotes a credential: jsonpath's own errors may print values.
func evalJSONPath(expression string, credentials map[string]any) ([]byte, error) {
	j := jsonpath.New("addKey")
	if err := j.Parse(expression); err != nil {
		return nil, fmt.Errorf("cannot be parsed")
	}
	results, err := j.FindResults(credentials)
	if err != nil {
		// "<field> is not found" names a field of the expression, not a value.
		if msg := err.Error(); strings.HasSuffix(msg, " is not found") {
			return nil, fmt.Errorf("finds nothing in the broker's credentials (%s)", msg)
		}
		return nil, fmt.Errorf("cannot be evaluated against the broker's credentials")
	}
	var buf bytes.Buffer
	for _, r := range results {
		if err := j.PrintResults(&buf, r); err != nil {
			return nil, fmt.Errorf("has a result that cannot be printed")
		}
	}
	return buf.Bytes(), nil
}

// writeSecret creates the binding's Secret or updates the one it controls. A Secret it
// does not control is left as it is: *secretExistsError.
func writeSecret(ctx context.Context, secrets corev1client.SecretsGetter, binding *v1beta1.ServiceBinding, want *corev1.Secret) error {
	client := secrets.Secrets(want.Namespace)
	existing, err := client.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = client.Create(ctx, want, metav1.CreateOptions{FieldManager: FieldManager})
		if apierrors.IsAlreadyExists(err) {
			return &secretExistsError{name: want.Name} // created meanwhile; checked again next time
		}
		return err
	case err != nil:
		return err
	case !metav1.IsControlledBy(existing, binding):
		return &secretExistsError{name: want.Name}
	case existing.Type != want.Type:
		// A Secret's type cannot change: replace the Secret.
		uid := existing.UID
		if err := client.Delete(ctx, existing.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		_, err = client.Create(ctx, want, metav1.CreateOptions{FieldManager: FieldManager})
		return err
	case maps.EqualFunc(existing.Data, want.Data, bytes.Equal) && labelled(existing, binding):
		return nil
	}
	existing = existing.DeepCopy()
	existing.Data = want.Data
	existing.StringData = nil
	return labelSecret(ctx, secrets, binding, existing)
}

// labelled reports whether the Secret carries the label of binding.
func labelled(secret *corev1.Secret, binding *v1beta1.ServiceBinding) bool {
	return secret.Labels[SecretLabel] == string(binding.UID)
}

// labelSecret writes secret, a copy of the binding's Secret, with the binding's label.
func labelSecret(ctx context.Context, secrets corev1client.SecretsGetter, binding *v1beta1.ServiceBinding, secret *corev1.Secret) error {
	if secret.Labels == nil {
		secret.Labels = map[string]string{}
	}
	secret.Labels[SecretLabel] = string(binding.UID)
	_, err := secrets.Secrets(binding.Namespace).Update(ctx, secret, metav1.UpdateOptions{FieldManager: FieldManager})
	return err
}

// ownedSecret returns the binding's Secret if the binding controls it, or nil.
func ownedSecret(ctx context.Context, secrets corev1client.SecretsGetter, binding *v1beta1.ServiceBinding) (*corev1.Secret, error) {
	existing, err := secrets.Secrets(binding.Namespace).Get(ctx, secretName(binding), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !metav1.IsControlledBy(existing, binding) {
		return nil, nil
	}
	return existing, nil
}

// checkSecret tells whether the binding's Secret can be written: *secretExistsError when
// a Secret it does not control has its name. It returns the Secret when the binding
// controls it.
func checkSecret(ctx context.Context, secrets corev1client.SecretsGetter, binding *v1beta1.ServiceBinding) (*corev1.Secret, error) {
	existing, err := secrets.Secrets(binding.Namespace).Get(ctx, secretName(binding), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	case !metav1.IsControlledBy(existing, binding):
		return nil, &secretExistsError{name: existing.Name}
	}
	return existing, nil
}

// deleteOwnedSecret deletes the binding's Secret if the binding controls it.
func deleteOwnedSecret(ctx context.Context, secrets corev1client.SecretsGetter, binding *v1beta1.ServiceBinding) error {
	existing, err := ownedSecret(ctx, secrets, binding)
	if err != nil || existing == nil {
		return err
	}
	uid := existing.UID
	err = secrets.Secrets(existing.Namespace).Delete(ctx, existing.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or replaced by a Secret this binding does not control
	}
	return err
}

// invalidSecretMessage describes an Invalid answer to a Secret write by its fields only:
// the API server's messages may quote values.
func invalidSecretMessage(err error) string {
	var fields []string
	if status, ok := err.(apierrors.APIStatus); ok && status.Status().Details != nil {
		for _, cause := range status.Status().Details.Causes {
			fields = append(fields, fmt.Sprintf("%s (%s)", cause.Field, cause.Type))
		}
	}
	if len(fields) == 0 {
		return "The API server refused the Secret."
	}
	return "The API server refused the Secret: " + strings.Join(fields, ", ") + "."
}
