// Package fuzzer fills servicecatalog.k8s.io objects with random but well-formed values,
// for the roundtrip tests of the API group.
package fuzzer

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/randfill"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// Funcs returns the fuzzer functions of the servicecatalog API group. They keep what a
// roundtrip cannot preserve out of the objects:
//   - fields defaulted on decode (a broker's relistBehavior, a binding's secretName) are
//     never empty;
//   - raw parameters, schemas and metadata are compact JSON objects, or absent: the JSON
//     encoder compacts raw values, and an empty RawExtension comes back as nil;
//   - conditions are valid metav1.Conditions with distinct types;
//   - enumerations hold one of their values or nothing.
var Funcs = func(_ runtimeserializer.CodecFactory) []interface{} {
	return []interface{}{
		func(r *runtime.RawExtension, c randfill.Continue) {
			*r = runtime.RawExtension{Raw: jsonObject(c, 2)}
		},
		func(s *sc.CommonServiceBrokerSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			if c.Bool() {
				s.RelistBehavior = sc.ServiceBrokerRelistBehaviorDuration
			} else {
				s.RelistBehavior = sc.ServiceBrokerRelistBehaviorManual
			}
		},
		func(s *sc.CommonServiceBrokerStatus, c randfill.Continue) {
			c.FillNoCustom(s)
			s.Conditions = conditions(c)
		},
		func(s *sc.ServiceInstanceStatus, c randfill.Continue) {
			c.FillNoCustom(s)
			s.Conditions = conditions(c)
			s.CurrentOperation = oneOf(c, "", sc.ServiceInstanceOperationProvision,
				sc.ServiceInstanceOperationUpdate, sc.ServiceInstanceOperationDeprovision)
			s.ProvisionStatus = oneOf(c, "", sc.ServiceInstanceProvisionStatusProvisioned,
				sc.ServiceInstanceProvisionStatusNotProvisioned)
			s.DeprovisionStatus = oneOf(c, "", sc.ServiceInstanceDeprovisionStatusNotRequired,
				sc.ServiceInstanceDeprovisionStatusRequired, sc.ServiceInstanceDeprovisionStatusSucceeded,
				sc.ServiceInstanceDeprovisionStatusFailed)
		},
		func(s *sc.ServiceBindingSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			// v1beta1 defaults an empty secretName to the binding's name on decode.
			if s.SecretName == "" {
				s.SecretName = "secret-" + randomName(c)
			}
		},
		func(s *sc.ServiceBindingStatus, c randfill.Continue) {
			c.FillNoCustom(s)
			s.Conditions = conditions(c)
			s.CurrentOperation = oneOf(c, "", sc.ServiceBindingOperationBind, sc.ServiceBindingOperationUnbind)
			s.UnbindStatus = oneOf(c, "", sc.ServiceBindingUnbindStatusNotRequired,
				sc.ServiceBindingUnbindStatusRequired, sc.ServiceBindingUnbindStatusSucceeded,
				sc.ServiceBindingUnbindStatusFailed)
		},
	}
}

// conditionTypes are the condition types the catalog uses.
var conditionTypes = []string{sc.ConditionReady, sc.ConditionFailed, sc.ConditionOrphanMitigation}

// conditions returns up to three valid conditions of distinct types, or nil.
func conditions(c randfill.Continue) []metav1.Condition {
	n := c.Intn(len(conditionTypes) + 1)
	if n == 0 {
		return nil
	}
	out := make([]metav1.Condition, 0, n)
	for _, i := range c.Perm(len(conditionTypes))[:n] {
		var lastTransition metav1.Time
		c.Fill(&lastTransition) // whole seconds, which is what JSON keeps
		out = append(out, metav1.Condition{
			Type:               conditionTypes[i],
			Status:             oneOf(c, metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown),
			ObservedGeneration: c.Int63n(1 << 20),
			LastTransitionTime: lastTransition,
			Reason:             oneOf(c, "Fetched", "ErrorFetchingCatalog", "Provisioning", "ProvisionedSuccessfully", "InjectedBindResult"),
			Message:            c.String(0),
		})
	}
	return out
}

// oneOf returns one of the values at random.
func oneOf[T any](c randfill.Continue, values ...T) T {
	return values[c.Intn(len(values))]
}

// randomName returns a short DNS label.
func randomName(c randfill.Continue) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 1+c.Intn(10))
	for i := range b {
		b[i] = chars[c.Intn(len(chars))]
	}
	return string(b)
}

// jsonObject returns a compact JSON object with random keys and values, nested up to
// depth levels.
func jsonObject(c randfill.Continue, depth int) []byte {
	data, err := json.Marshal(jsonValue(c, depth, true))
	if err != nil {
		panic(fmt.Sprintf("marshalling a random JSON object: %v", err))
	}
	return data
}

func jsonValue(c randfill.Continue, depth int, object bool) interface{} {
	kind := 0
	if !object {
		kind = c.Intn(5)
		if depth <= 0 && kind < 2 {
			kind += 2
		}
	}
	switch kind {
	case 0:
		m := map[string]interface{}{}
		for i := c.Intn(4); i > 0; i-- {
			m[c.String(0)] = jsonValue(c, depth-1, false)
		}
		return m
	case 1:
		l := make([]interface{}, c.Intn(4))
		for i := range l {
			l[i] = jsonValue(c, depth-1, false)
		}
		return l
	case 2:
		return c.String(0)
	case 3:
		return c.Int63n(1 << 40)
	default:
		return c.Bool()
	}
}
