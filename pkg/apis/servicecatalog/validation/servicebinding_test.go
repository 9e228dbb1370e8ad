package validation

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

func validBinding(tweaks ...func(*sc.ServiceBinding)) *sc.ServiceBinding {
	b := &sc.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "db-binding", Namespace: "team-a", ResourceVersion: "1"},
		Spec: sc.ServiceBindingSpec{
			InstanceRef: sc.ServiceInstanceReference{Name: "db"},
			SecretName:  "db-binding",
			ExternalID:  "0d6c0d2c-5b0a-4c44-9f5e-2c4d1f6a1b9e",
			UserInfo:    &sc.UserInfo{Username: "alice"},
		},
	}
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

// tweakTransforms replaces the secret transforms.
func tweakTransforms(transforms ...sc.SecretTransform) func(*sc.ServiceBinding) {
	return func(b *sc.ServiceBinding) { b.Spec.SecretTransforms = transforms }
}

func renameKey(from, to string) sc.SecretTransform {
	return sc.SecretTransform{RenameKey: &sc.RenameKeyTransform{From: from, To: to}}
}

func removeKey(key string) sc.SecretTransform {
	return sc.SecretTransform{RemoveKey: &sc.RemoveKeyTransform{Key: key}}
}

func addKey(key string, value []byte, stringValue, jsonPath *string) sc.SecretTransform {
	return sc.SecretTransform{AddKey: &sc.AddKeyTransform{Key: key, Value: value, StringValue: stringValue, JSONPathExpression: jsonPath}}
}

func addKeysFrom(namespace, name string) sc.SecretTransform {
	return sc.SecretTransform{AddKeysFrom: &sc.AddKeysFromTransform{SecretRef: &sc.ObjectReference{Namespace: namespace, Name: name}}}
}

func TestValidateServiceBinding(t *testing.T) {
	successCases := []*sc.ServiceBinding{
		validBinding(),
		// An empty secretName is defaulted to the binding's name.
		validBinding(func(b *sc.ServiceBinding) { b.Spec.SecretName = "" }),
		validBinding(func(b *sc.ServiceBinding) { b.Spec.SecretName = "db.credentials" }),
		validBinding(func(b *sc.ServiceBinding) { b.Spec.Parameters = raw(`{"role":"read-only"}`) }),
		validBinding(func(b *sc.ServiceBinding) {
			b.Spec.ParametersFrom = []sc.ParametersFromSource{{SecretKeyRef: &sc.SecretKeyReference{Name: "bind-params", Key: "params"}}}
		}),
		validBinding(tweakTransforms(renameKey("uri", "DATABASE_URL"))),
		validBinding(tweakTransforms(addKey("port", []byte("5432"), nil, nil))),
		validBinding(tweakTransforms(addKey("mode", nil, ptr.To("ssl"), nil))),
		validBinding(tweakTransforms(addKey("empty", nil, ptr.To(""), nil))),
		validBinding(tweakTransforms(addKey("address", nil, nil, ptr.To("{.host}:{.port}")))),
		validBinding(tweakTransforms(addKeysFrom("team-a", "extra-creds"))),
		validBinding(tweakTransforms(addKeysFrom("", "extra-creds"))),
		validBinding(tweakTransforms(removeKey("password"))),
		validBinding(tweakTransforms(
			renameKey("uri", "DATABASE_URL"),
			addKey("DATABASE_MODE", nil, ptr.To("rw"), nil),
			addKeysFrom("", "extra"),
			removeKey("username"),
		)),
	}
	for i, binding := range successCases {
		if errs := ValidateServiceBinding(binding); len(errs) != 0 {
			t.Errorf("success case %d (%+v): unexpected errors: %v", i, binding.Spec, errs)
		}
	}

	errorCases := map[string]errorCase[*sc.ServiceBinding]{
		"spec.secretTransforms: Too many: 65: must have at most 64 items": {
			obj: validBinding(func(b *sc.ServiceBinding) {
				for range 65 {
					b.Spec.SecretTransforms = append(b.Spec.SecretTransforms, sc.SecretTransform{RemoveKey: &sc.RemoveKeyTransform{Key: "k"}})
				}
			}),
			field: "spec.secretTransforms",
		},
		"spec.secretTransforms[0].addKey.stringValue: Too long: may not be more than 65536 bytes": {
			obj: validBinding(func(b *sc.ServiceBinding) {
				v := strings.Repeat("x", 64*1024+1)
				b.Spec.SecretTransforms = []sc.SecretTransform{{AddKey: &sc.AddKeyTransform{Key: "k", StringValue: &v}}}
			}),
			field: "spec.secretTransforms[0].addKey.stringValue",
		},
		"metadata.namespace: Required value": {
			obj:   validBinding(func(b *sc.ServiceBinding) { b.Namespace = "" }),
			field: "metadata.namespace",
		},
		"spec.instanceRef.name: Required value": {
			obj:   validBinding(func(b *sc.ServiceBinding) { b.Spec.InstanceRef.Name = "" }),
			field: "spec.instanceRef.name",
		},
		`spec.instanceRef.name: Invalid value: "My_DB"`: {
			obj:   validBinding(func(b *sc.ServiceBinding) { b.Spec.InstanceRef.Name = "My_DB" }),
			field: "spec.instanceRef.name",
		},
		`spec.secretName: Invalid value: "DB Credentials"`: {
			obj:   validBinding(func(b *sc.ServiceBinding) { b.Spec.SecretName = "DB Credentials" }),
			field: "spec.secretName",
		},
		`spec.parameters: Invalid value: "<value omitted>": must be a JSON object`: {
			obj:   validBinding(func(b *sc.ServiceBinding) { b.Spec.Parameters = raw(`"read-only"`) }),
			field: "spec.parameters",
		},
		"spec.parametersFrom[0].secretKeyRef: Required value": {
			obj:   validBinding(func(b *sc.ServiceBinding) { b.Spec.ParametersFrom = []sc.ParametersFromSource{{}} }),
			field: "spec.parametersFrom[0].secretKeyRef",
		},
		"spec.parametersFrom[0].secretKeyRef.key: Required value": {
			obj: validBinding(func(b *sc.ServiceBinding) {
				b.Spec.ParametersFrom = []sc.ParametersFromSource{{SecretKeyRef: &sc.SecretKeyReference{Name: "p"}}}
			}),
			field: "spec.parametersFrom[0].secretKeyRef.key",
		},
		"spec.externalID: Required value": {
			obj:   validBinding(func(b *sc.ServiceBinding) { b.Spec.ExternalID = "" }),
			field: "spec.externalID",
		},
		`spec.externalID: Invalid value: "a/b"`: {
			obj:   validBinding(func(b *sc.ServiceBinding) { b.Spec.ExternalID = "a/b" }),
			field: "spec.externalID",
		},
		`spec.externalID: Invalid value: "..": must not be "." or ".."`: {
			obj:   validBinding(func(b *sc.ServiceBinding) { b.Spec.ExternalID = ".." }),
			field: "spec.externalID",
		},
		"spec.externalID: Too long": {
			obj:   validBinding(func(b *sc.ServiceBinding) { b.Spec.ExternalID = strings.Repeat("b", 256) }),
			field: "spec.externalID",
		},
		"spec.secretTransforms[1]: Required value: exactly one of renameKey, addKey, addKeysFrom and removeKey must be set": {
			obj:   validBinding(tweakTransforms(removeKey("a"), sc.SecretTransform{})),
			field: "spec.secretTransforms[1]",
		},
		"spec.secretTransforms[0]: Invalid value: \"removeKey, renameKey\": exactly one of renameKey, addKey, addKeysFrom and removeKey must be set": {
			obj: validBinding(tweakTransforms(sc.SecretTransform{
				RenameKey: renameKey("a", "b").RenameKey,
				RemoveKey: removeKey("c").RemoveKey,
			})),
			field: "spec.secretTransforms[0]",
		},
		"spec.secretTransforms[0].renameKey.from: Required value": {
			obj:   validBinding(tweakTransforms(renameKey("", "b"))),
			field: "spec.secretTransforms[0].renameKey.from",
		},
		`spec.secretTransforms[0].renameKey.to: Invalid value: "a b"`: {
			obj:   validBinding(tweakTransforms(renameKey("a", "a b"))),
			field: "spec.secretTransforms[0].renameKey.to",
		},
		"spec.secretTransforms[0].renameKey.to: Required value": {
			obj:   validBinding(tweakTransforms(renameKey("a", ""))),
			field: "spec.secretTransforms[0].renameKey.to",
		},
		"spec.secretTransforms[0].addKey.key: Required value": {
			obj:   validBinding(tweakTransforms(addKey("", []byte("v"), nil, nil))),
			field: "spec.secretTransforms[0].addKey.key",
		},
		`spec.secretTransforms[0].addKey.key: Invalid value: "a:b"`: {
			obj:   validBinding(tweakTransforms(addKey("a:b", []byte("v"), nil, nil))),
			field: "spec.secretTransforms[0].addKey.key",
		},
		"spec.secretTransforms[0].addKey: Invalid value: 0: exactly one of value, stringValue and jsonPathExpression must be set": {
			obj:   validBinding(tweakTransforms(addKey("k", nil, nil, nil))),
			field: "spec.secretTransforms[0].addKey",
		},
		// JSON drops an empty value, so it must not count as one.
		"spec.secretTransforms[0].addKey: Invalid value: 0: exactly one of value": {
			obj:   validBinding(tweakTransforms(addKey("k", []byte{}, nil, nil))),
			field: "spec.secretTransforms[0].addKey",
		},
		"spec.secretTransforms[0].addKey: Invalid value: 2: exactly one of value, stringValue and jsonPathExpression must be set": {
			obj:   validBinding(tweakTransforms(addKey("k", []byte("v"), ptr.To("v"), nil))),
			field: "spec.secretTransforms[0].addKey",
		},
		"spec.secretTransforms[0].addKey: Invalid value: 3: exactly one of value": {
			obj:   validBinding(tweakTransforms(addKey("k", []byte("v"), ptr.To("v"), ptr.To("{.v}")))),
			field: "spec.secretTransforms[0].addKey",
		},
		`spec.secretTransforms[0].addKey.jsonPathExpression: Invalid value: "{.host": must be a JSONPath expression`: {
			obj:   validBinding(tweakTransforms(addKey("k", nil, nil, ptr.To("{.host")))),
			field: "spec.secretTransforms[0].addKey.jsonPathExpression",
		},
		"spec.secretTransforms[0].addKeysFrom.secretRef: Required value": {
			obj:   validBinding(tweakTransforms(sc.SecretTransform{AddKeysFrom: &sc.AddKeysFromTransform{}})),
			field: "spec.secretTransforms[0].addKeysFrom.secretRef",
		},
		"spec.secretTransforms[0].addKeysFrom.secretRef.name: Required value": {
			obj:   validBinding(tweakTransforms(addKeysFrom("team-a", ""))),
			field: "spec.secretTransforms[0].addKeysFrom.secretRef.name",
		},
		"spec.secretTransforms[0].addKeysFrom.secretRef.namespace: Forbidden: must be the binding's own namespace": {
			obj:   validBinding(tweakTransforms(addKeysFrom("kube-system", "admin-token"))),
			field: "spec.secretTransforms[0].addKeysFrom.secretRef.namespace",
		},
		"spec.secretTransforms[2].removeKey.key: Required value": {
			obj:   validBinding(tweakTransforms(removeKey("a"), removeKey("b"), removeKey(""))),
			field: "spec.secretTransforms[2].removeKey.key",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateServiceBinding(tc.obj), msg, tc.field, tc.alsoAt...)
		})
	}
}

// TestValidateServiceBindingSpecNamespace checks that addKeysFrom is judged against the
// namespace passed in, not against the one the reference names.
func TestValidateServiceBindingSpecNamespace(t *testing.T) {
	spec := validBinding(tweakTransforms(addKeysFrom("team-b", "creds"))).Spec
	expectNoErrors(t, ValidateServiceBindingSpec(&spec, "team-b", nil))
	expectErrors(t, ValidateServiceBindingSpec(&spec, "team-a", nil), "Forbidden", "secretTransforms[0].addKeysFrom.secretRef.namespace")
}

func TestValidateServiceBindingUpdate(t *testing.T) {
	old := validBinding(func(b *sc.ServiceBinding) {
		b.Spec.Parameters = raw(`{"role":"read-only"}`)
		b.Spec.SecretTransforms = []sc.SecretTransform{renameKey("uri", "DATABASE_URL")}
	})
	same := func(tweaks ...func(*sc.ServiceBinding)) *sc.ServiceBinding {
		b := old.DeepCopy()
		for _, tweak := range tweaks {
			tweak(b)
		}
		return b
	}

	successCases := map[string]*sc.ServiceBinding{
		"unchanged": same(),
		"userInfo changed": same(func(b *sc.ServiceBinding) {
			b.Spec.UserInfo = &sc.UserInfo{Username: "bob", Groups: []string{"admins"}}
		}),
		"userInfo cleared": same(func(b *sc.ServiceBinding) { b.Spec.UserInfo = nil }),
		"labels changed":   same(func(b *sc.ServiceBinding) { b.Labels = map[string]string{"app": "web"} }),
		"finalizer added":  same(func(b *sc.ServiceBinding) { b.Finalizers = []string{sc.FinalizerServiceCatalog} }),
	}
	for name, binding := range successCases {
		t.Run(name, func(t *testing.T) {
			expectNoErrors(t, ValidateServiceBindingUpdate(binding, old))
		})
	}

	// Strategic merge patches and server-side apply re-encode parameters through a map:
	// keys come back sorted and numbers re-rendered. That is not a change of spec.
	t.Run("parameters re-encoded", func(t *testing.T) {
		stored := same(func(b *sc.ServiceBinding) {
			b.Spec.Parameters = raw(`{"ttl":1.0,"role":"read-only","opts":{"z":[1,2],"a":null}}`)
		})
		patched := same(func(b *sc.ServiceBinding) {
			b.Spec.Parameters = raw(`{"opts":{"a":null,"z":[1,2]},"role":"read-only","ttl":1}`)
		})
		expectNoErrors(t, ValidateServiceBindingUpdate(patched, stored))
		reordered := same(func(b *sc.ServiceBinding) {
			b.Spec.Parameters = raw(`{"opts":{"a":null,"z":[2,1]},"role":"read-only","ttl":1}`)
		})
		expectErrors(t, ValidateServiceBindingUpdate(reordered, stored), "spec: Forbidden", "spec")
	})

	// Every change of the spec but userInfo is refused with the same error.
	specChanges := map[string]func(*sc.ServiceBinding){
		"parameters changed": func(b *sc.ServiceBinding) { b.Spec.Parameters = raw(`{"role":"admin"}`) },
		"parameters removed": func(b *sc.ServiceBinding) { b.Spec.Parameters = nil },
		"parametersFrom added": func(b *sc.ServiceBinding) {
			b.Spec.ParametersFrom = []sc.ParametersFromSource{{SecretKeyRef: &sc.SecretKeyReference{Name: "p", Key: "k"}}}
		},
		"secretTransforms changed": tweakTransforms(renameKey("uri", "URL")),
		"secretTransforms added":   tweakTransforms(renameKey("uri", "DATABASE_URL"), removeKey("password")),
		"secretTransforms removed": tweakTransforms(),
		"secretName changed":       func(b *sc.ServiceBinding) { b.Spec.SecretName = "other-secret" },
	}
	for name, change := range specChanges {
		t.Run(name, func(t *testing.T) {
			expectErrors(t, ValidateServiceBindingUpdate(same(change), old),
				"spec: Forbidden: a binding's spec cannot change but for rotationRequests and rotateWhenStale; delete the binding and create a new one", "spec")
		})
	}

	errorCases := map[string]errorCase[*sc.ServiceBinding]{
		// instanceRef and externalID have their own errors, not the generic one.
		`spec.instanceRef: Invalid value`: {
			obj:   same(func(b *sc.ServiceBinding) { b.Spec.InstanceRef.Name = "other-db" }),
			field: "spec.instanceRef",
		},
		`spec.externalID: Invalid value: "another-id": field is immutable`: {
			obj:   same(func(b *sc.ServiceBinding) { b.Spec.ExternalID = "another-id" }),
			field: "spec.externalID",
		},
		`spec.secretTransforms[0].renameKey.to: Invalid value: "a b"`: {
			obj:    same(tweakTransforms(renameKey("uri", "a b"))),
			field:  "spec.secretTransforms[0].renameKey.to",
			alsoAt: []string{"spec"},
		},
		`metadata.namespace: Invalid value: "team-b": field is immutable`: {
			obj:   same(func(b *sc.ServiceBinding) { b.Namespace = "team-b" }),
			field: "metadata.namespace",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateServiceBindingUpdate(tc.obj, old), msg, tc.field, tc.alsoAt...)
		})
	}
}

func TestValidateServiceBindingStatusUpdate(t *testing.T) {
	old := validBinding()
	withStatus := func(tweak func(*sc.ServiceBindingStatus)) *sc.ServiceBinding {
		b := validBinding()
		tweak(&b.Status)
		return b
	}

	successCases := map[string]*sc.ServiceBinding{
		"empty": withStatus(func(*sc.ServiceBindingStatus) {}),
		"bound": withStatus(func(s *sc.ServiceBindingStatus) {
			s.Conditions = []metav1.Condition{validCondition(func(c *metav1.Condition) { c.Reason = "InjectedBindResult" })}
			s.UnbindStatus = sc.ServiceBindingUnbindStatusRequired
			s.Binding = &sc.LocalObjectReference{Name: "db-binding"}
		}),
		"binding": withStatus(func(s *sc.ServiceBindingStatus) {
			s.CurrentOperation = sc.ServiceBindingOperationBind
			s.AsyncOpInProgress = true
		}),
		"unbinding":         withStatus(func(s *sc.ServiceBindingStatus) { s.CurrentOperation = sc.ServiceBindingOperationUnbind }),
		"unbound":           withStatus(func(s *sc.ServiceBindingStatus) { s.UnbindStatus = sc.ServiceBindingUnbindStatusSucceeded }),
		"unbind failed":     withStatus(func(s *sc.ServiceBindingStatus) { s.UnbindStatus = sc.ServiceBindingUnbindStatusFailed }),
		"nothing to unbind": withStatus(func(s *sc.ServiceBindingStatus) { s.UnbindStatus = sc.ServiceBindingUnbindStatusNotRequired }),
	}
	for name, binding := range successCases {
		t.Run(name, func(t *testing.T) {
			expectNoErrors(t, ValidateServiceBindingStatusUpdate(binding, old))
		})
	}

	errorCases := map[string]errorCase[*sc.ServiceBinding]{
		`status.currentOperation: Unsupported value: "Provision": supported values: "Bind", "Unbind"`: {
			obj:   withStatus(func(s *sc.ServiceBindingStatus) { s.CurrentOperation = "Provision" }),
			field: "status.currentOperation",
		},
		`status.unbindStatus: Unsupported value: "Later"`: {
			obj:   withStatus(func(s *sc.ServiceBindingStatus) { s.UnbindStatus = "Later" }),
			field: "status.unbindStatus",
		},
		"status.binding.name: Required value": {
			obj:   withStatus(func(s *sc.ServiceBindingStatus) { s.Binding = &sc.LocalObjectReference{} }),
			field: "status.binding.name",
		},
		`status.binding.name: Invalid value: "Not A Secret"`: {
			obj:   withStatus(func(s *sc.ServiceBindingStatus) { s.Binding = &sc.LocalObjectReference{Name: "Not A Secret"} }),
			field: "status.binding.name",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateServiceBindingStatusUpdate(tc.obj, old), msg, tc.field, tc.alsoAt...)
		})
	}
	for msg, tc := range conditionErrorCases {
		t.Run("conditions/"+msg, func(t *testing.T) {
			obj := withStatus(func(s *sc.ServiceBindingStatus) { s.Conditions = tc.conditions })
			expectErrors(t, ValidateServiceBindingStatusUpdate(obj, old), msg, "status.conditions"+tc.field)
		})
	}
}

// rotationRequests is the one field of a binding's spec that may change, and only up;
// instanceRef.namespace must be a namespace name.
func TestBindingRotationRequestsAndInstanceNamespace(t *testing.T) {
	old := validBinding(func(b *sc.ServiceBinding) { b.Spec.RotationRequests = 2 })
	bumped := validBinding(func(b *sc.ServiceBinding) { b.Spec.RotationRequests = 3 })
	if errs := ValidateServiceBindingUpdate(bumped, old); len(errs) != 0 {
		t.Errorf("a bump: %v", errs)
	}
	lowered := validBinding(func(b *sc.ServiceBinding) { b.Spec.RotationRequests = 1 })
	if errs := ValidateServiceBindingUpdate(lowered, old); len(errs) != 1 || errs[0].Field != "spec.rotationRequests" {
		t.Errorf("a decrease: %v", errs)
	}
	foreign := validBinding(func(b *sc.ServiceBinding) { b.Spec.InstanceRef.Namespace = "Not_A_Namespace" })
	if errs := ValidateServiceBinding(foreign); len(errs) != 1 || errs[0].Field != "spec.instanceRef.namespace" {
		t.Errorf("an invalid instance namespace: %v", errs)
	}
}
