package catalogcmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	restfake "k8s.io/client-go/rest/fake"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/scheme"
	"github.com/kube-service-catalog/catalog/pkg/printers"
)

// internalScheme converts the v1beta1 objects of the fake clientset to the internal
// types the API server's table convertors print.
var internalScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	install.Install(s)
	return s
}()

// convertors are the API server's table convertors, by resource.
var convertors = map[string]*printers.TableConvertor{
	"clusterservicebrokers": printers.NewBrokerTableConvertor(),
	"servicebrokers":        printers.NewBrokerTableConvertor(),
	"serviceclasses":        printers.NewClassTableConvertor(),
	"serviceplans":          printers.NewPlanTableConvertor(),
	"clusterserviceclasses": printers.NewClassTableConvertor(),
	"clusterserviceplans":   printers.NewPlanTableConvertor(),
	"serviceinstances":      printers.NewServiceInstanceTableConvertor(),
	"servicebindings":       printers.NewServiceBindingTableConvertor(),
}

// tableServer answers the plugin's requests for tables as the API server does, with its
// table convertors, from the objects of cs. It refuses requests that do not ask for a
// Table. Ages are <unknown>: the creation times are dropped, as the convertors count
// from the real clock.
func tableServer(t *testing.T, cs *fake.Clientset) *restfake.RESTClient {
	return &restfake.RESTClient{
		NegotiatedSerializer: scheme.Codecs.WithoutConversion(),
		GroupVersion:         v1beta1.SchemeGroupVersion,
		VersionedAPIPath:     "/apis/servicecatalog.k8s.io/v1beta1",
		Client: restfake.CreateHTTPClient(func(req *http.Request) (*http.Response, error) {
			if !strings.Contains(req.Header.Get("Accept"), "as=Table;v=v1;g=meta.k8s.io") {
				return respond(http.StatusNotAcceptable, &metav1.Status{Status: metav1.StatusFailure, Reason: metav1.StatusReasonNotAcceptable, Code: 406})
			}
			table, err := serveTable(cs, req.URL.Path)
			var status apierrors.APIStatus
			if errors.As(err, &status) {
				s := status.Status()
				s.Kind, s.APIVersion = "Status", "v1"
				return respond(int(s.Code), &s)
			}
			if err != nil {
				t.Errorf("table server: %v", err)
				return nil, err
			}
			return respond(http.StatusOK, table)
		}),
	}
}

// serveTable returns the table of the objects path names.
func serveTable(cs *fake.Clientset, path string) (runtime.Object, error) {
	parts := strings.Split(strings.TrimPrefix(path, "/apis/servicecatalog.k8s.io/v1beta1/"), "/")
	ns := ""
	if parts[0] == "namespaces" {
		ns, parts = parts[1], parts[2:]
	}
	resource := parts[0]
	gvr := v1beta1.SchemeGroupVersion.WithResource(resource)
	var obj runtime.Object
	var err error
	if len(parts) > 1 {
		obj, err = cs.Tracker().Get(gvr, ns, parts[1])
	} else {
		obj, err = cs.Tracker().List(gvr, v1beta1.SchemeGroupVersion.WithKind(kindOf(resource)), ns)
	}
	if err != nil {
		return nil, err
	}
	return convert(resource, obj)
}

// convert prints obj, one object or a list, with the convertor of resource.
func convert(resource string, obj runtime.Object) (runtime.Object, error) {
	objects := []runtime.Object{obj}
	if meta.IsListType(obj) {
		var err error
		if objects, err = meta.ExtractList(obj); err != nil {
			return nil, err
		}
	}
	table := &metav1.Table{}
	for _, o := range objects {
		internal, err := internalScheme.ConvertToVersion(o.DeepCopyObject(), schema.GroupVersion{Group: v1beta1.GroupName, Version: runtime.APIVersionInternal})
		if err != nil {
			return nil, err
		}
		m, _ := meta.Accessor(internal)
		name, namespace := m.GetName(), m.GetNamespace()
		m.SetCreationTimestamp(metav1.Time{})
		one, err := convertors[resource].ConvertToTable(context.Background(), internal, nil)
		if err != nil {
			return nil, err
		}
		table.ColumnDefinitions = one.ColumnDefinitions
		row := one.Rows[0]
		partial := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "PartialObjectMetadata"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
		raw, err := json.Marshal(partial)
		if err != nil {
			return nil, err
		}
		row.Object = runtime.RawExtension{Raw: raw}
		table.Rows = append(table.Rows, row)
	}
	if len(objects) == 0 {
		empty, err := convertors[resource].ConvertToTable(context.Background(), obj, nil)
		if err != nil {
			return nil, err
		}
		table.ColumnDefinitions = empty.ColumnDefinitions
	}
	table.Kind, table.APIVersion = "Table", "meta.k8s.io/v1"
	return table, nil
}

// kindOf is the list kind's item kind of a resource.
func kindOf(resource string) string {
	for kind, r := range map[string]string{
		"ClusterServiceBroker": "clusterservicebrokers", "ClusterServiceClass": "clusterserviceclasses",
		"ClusterServicePlan": "clusterserviceplans", "ServiceBroker": "servicebrokers", "ServiceClass": "serviceclasses",
		"ServicePlan": "serviceplans", "ServiceInstance": "serviceinstances", "ServiceBinding": "servicebindings",
	} {
		if r == resource {
			return kind
		}
	}
	panic(fmt.Sprintf("no kind for %s", resource))
}

// respond is an HTTP response with obj as its JSON body.
func respond(code int, obj runtime.Object) (*http.Response, error) {
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	header := http.Header{"Content-Type": []string{"application/json"}}
	return &http.Response{StatusCode: code, Header: header, Body: io.NopCloser(bytes.NewReader(body))}, nil
}
