package validation

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// TestValidationSurvivesStorage checks that an object validation accepts is still accepted
// once it has been written in v1beta1 JSON and read back, as etcd does. Otherwise an
// object could be created and then never updated again: not even to remove its finalizer.
func TestValidationSurvivesStorage(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	codecs := serializer.NewCodecFactory(scheme)
	internal := schema.GroupVersion{Group: sc.GroupName, Version: runtime.APIVersionInternal}
	decoder := codecs.UniversalDecoder(internal)
	encoder := codecs.LegacyCodec(v1beta1.SchemeGroupVersion)

	docs := map[string]string{
		"addKey with an empty value": `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceBinding",
			"metadata":{"name":"b","namespace":"ns"},
			"spec":{"instanceRef":{"name":"db"},"externalID":"id","secretTransforms":[{"addKey":{"key":"k","value":""}}]}}`,
		"addKey with an empty value and a string value": `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceBinding",
			"metadata":{"name":"b","namespace":"ns"},
			"spec":{"instanceRef":{"name":"db"},"externalID":"id","secretTransforms":[{"addKey":{"key":"k","value":"","stringValue":"v"}}]}}`,
		"addKey with an empty string value": `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceBinding",
			"metadata":{"name":"b","namespace":"ns"},
			"spec":{"instanceRef":{"name":"db"},"externalID":"id","secretTransforms":[{"addKey":{"key":"k","stringValue":""}}]}}`,
		"empty transforms and parameters": `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceBinding",
			"metadata":{"name":"b","namespace":"ns"},
			"spec":{"instanceRef":{"name":"db"},"externalID":"id","parameters":{},"parametersFrom":[],"secretTransforms":[]}}`,
		"instance with empty parameters": `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceInstance",
			"metadata":{"name":"i","namespace":"ns"},
			"spec":{"clusterServiceClassExternalName":"c","clusterServicePlanExternalName":"p","externalID":"id","parameters":{ },"parametersFrom":[]}}`,
		"broker with an empty caBundle": `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ClusterServiceBroker",
			"metadata":{"name":"b"},
			"spec":{"url":"https://b.example.com","caBundle":"","insecureSkipTLSVerify":true,"catalogRestrictions":{}}}`,
		"namespaced broker with an empty caBundle": `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceBroker",
			"metadata":{"name":"b","namespace":"ns"},
			"spec":{"url":"https://b.example.com","caBundle":"","insecureSkipTLSVerify":true,"authInfo":{"basic":{"secretRef":{"name":"creds"}}}}}`,
		"namespaced plan with empty schemas": `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServicePlan",
			"metadata":{"name":"p","namespace":"ns"},
			"spec":{"externalName":"p","externalID":"p","serviceBrokerName":"b","serviceClassRef":{"name":"c"},
				"instanceCreateParameterSchema":{},"maintenanceInfo":{"version":""}}}`,
		"namespaced instance with empty parameters": `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceInstance",
			"metadata":{"name":"i","namespace":"ns"},
			"spec":{"serviceClassExternalName":"c","servicePlanExternalName":"p","externalID":"id","parameters":{ }}}`,
		"plan with empty schemas": `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ClusterServicePlan",
			"metadata":{"name":"p"},
			"spec":{"externalName":"p","externalID":"p","clusterServiceBrokerName":"b","clusterServiceClassRef":{"name":"c"},
				"instanceCreateParameterSchema":{},"maintenanceInfo":{"version":""}}}`,
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			created, _, err := decoder.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			data, err := runtime.Encode(encoder, created)
			if err != nil {
				t.Fatalf("encoding: %v", err)
			}
			stored, _, err := decoder.Decode(data, nil, nil)
			if err != nil {
				t.Fatalf("decoding the stored form: %v", err)
			}
			before, after := validate(t, scheme, created), validate(t, scheme, stored)
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Errorf("validation changed once stored:\n  created: %v\n  stored:  %v\n  stored JSON: %s", before, after, data)
			}
		})
	}
}

func validate(t *testing.T, scheme *runtime.Scheme, obj runtime.Object) field.ErrorList {
	t.Helper()
	gvks, _, err := scheme.ObjectKinds(obj)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := kindValidators[gvks[0].Kind]
	if !ok {
		t.Fatalf("no validation for %T", obj)
	}
	return v.create(obj)
}
