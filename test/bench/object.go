package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The demo catalog's synchronous offering and plan (pkg/broker/democatalog.yaml),
// which every benchmark instance asks for.
const (
	demoClass = "postgresql"
	demoPlan  = "small"
)

// parametersSize is the size of the JSON parameters object of every instance.
const parametersSize = 1024

// benchParameters returns a realistic parameters object that encodes to exactly
// parametersSize bytes of compact JSON and that the demo plan's instance create schema
// accepts (storageGB and a list of extensions, nothing else: the ParameterSchemaValidator
// admission plugin refuses other keys). encoding/json sorts the keys, so the encoding is
// stable.
func benchParameters() map[string]any {
	extensions := []any{"pg_stat_statements", "pgcrypto", "uuid-ossp"}
	p := map[string]any{"storageGB": int64(20), "extensions": extensions}
	for i := 0; ; i++ {
		extensions = append(extensions, fmt.Sprintf("extension_%02d_%s", i, strings.Repeat("x", 16)))
		p["extensions"] = extensions
		if size(p) > parametersSize {
			extensions = extensions[:len(extensions)-1]
			p["extensions"] = extensions
			break
		}
	}
	// Pad the last bytes exactly, in a last extension's name of at least one character.
	if parametersSize-size(p) <= len(`,""`) {
		extensions = extensions[:len(extensions)-1]
		p["extensions"] = extensions
	}
	p["extensions"] = append(extensions, strings.Repeat("p", parametersSize-size(p)-len(`,""`)))
	if size(p) != parametersSize {
		panic(fmt.Sprintf("parameters are %d bytes, want %d", size(p), parametersSize))
	}
	return p
}

// mustJSON encodes v, which cannot fail for the benchmark's own values.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// size is the length of v's compact JSON encoding.
func size(v any) int {
	return len(mustJSON(v))
}

// instanceTemplate returns the ServiceInstance every section-1 target stores, as
// a user writes it (class and plan by external name, a 1 KiB parameters object),
// in apiVersion group/v1beta1. Name and namespace are set per object.
func instanceTemplate(group string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": group + "/v1beta1",
		"kind":       "ServiceInstance",
		"metadata": map[string]any{
			"labels": map[string]any{"app.kubernetes.io/part-of": "catalog-bench"},
		},
		"spec": map[string]any{
			"clusterServiceClassExternalName": demoClass,
			"clusterServicePlanExternalName":  demoPlan,
			"parameters":                      benchParameters(),
		},
	}}
}

// instanceObject returns a copy of template named namespace/name.
func instanceObject(template *unstructured.Unstructured, namespace, name string) *unstructured.Unstructured {
	obj := template.DeepCopy()
	obj.SetNamespace(namespace)
	obj.SetName(name)
	return obj
}
