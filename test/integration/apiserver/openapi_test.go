package apiserver

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

// schema is the part of an OpenAPI v3 schema the test reads.
type schema struct {
	Description string             `json:"description"`
	Properties  map[string]*schema `json:"properties"`
	Ref         string             `json:"$ref"`
	AllOf       []*schema          `json:"allOf"`
	Items       *schema            `json:"items"`
}

func TestOpenAPIV3DescribesEveryField(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	rc := s.AdminClient(t).ServicecatalogV1beta1().RESTClient()
	ctx := context.Background()

	index, err := rc.Get().AbsPath("/openapi/v3").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var discovery struct {
		Paths map[string]struct {
			ServerRelativeURL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(index, &discovery); err != nil {
		t.Fatal(err)
	}
	group, ok := discovery.Paths["apis/servicecatalog.k8s.io/v1beta1"]
	if !ok {
		t.Fatalf("/openapi/v3 does not list the group: %s", index)
	}
	doc, err := rc.Get().AbsPath(strings.SplitN(group.ServerRelativeURL, "?", 2)[0]).DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Components struct {
			Schemas map[string]*schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &spec); err != nil {
		t.Fatal(err)
	}

	const ours = "com.github.kube-service-catalog.catalog.pkg.apis.servicecatalog.v1beta1."
	var kinds, checked int
	var missing []string
	for name, sch := range spec.Components.Schemas {
		if !strings.HasPrefix(name, ours) {
			continue
		}
		if sch.Description == "" {
			missing = append(missing, name)
		}
		for prop, p := range sch.Properties {
			checked++
			if p.Description == "" {
				missing = append(missing, name+"."+prop)
			}
		}
		switch strings.TrimPrefix(name, ours) {
		case "ClusterServiceBroker", "ClusterServiceClass", "ClusterServicePlan", "ServiceInstance", "ServiceBinding":
			kinds++
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("schemas or fields without a description: %v", missing)
	}
	if kinds != 5 {
		t.Errorf("found %d of the 5 kinds in the OpenAPI document", kinds)
	}
	// The spec of an instance carries the fields users write, with their descriptions.
	instanceSpec := spec.Components.Schemas[ours+"ServiceInstanceSpec"]
	if instanceSpec == nil {
		t.Fatal("no ServiceInstanceSpec schema")
	}
	for _, field := range []string{"clusterServiceClassExternalName", "clusterServicePlanExternalName", "parameters", "parametersFrom", "externalID", "updateRequests", "userInfo"} {
		if p := instanceSpec.Properties[field]; p == nil || p.Description == "" {
			t.Errorf("ServiceInstanceSpec.%s is missing or undescribed", field)
		}
	}
	t.Logf("checked %d fields of %d kinds", checked, kinds)
	if checked < 100 {
		t.Errorf("only %d fields checked; the document looks incomplete", checked)
	}

	// OpenAPI v2 is served too, for older clients.
	v2, err := rc.Get().AbsPath("/openapi/v2").SetHeader("Accept", "application/json").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(v2), `"com.github.kube-service-catalog.catalog.pkg.apis.servicecatalog.v1beta1.ServiceInstanceSpec"`) {
		t.Errorf("/openapi/v2 does not define ServiceInstanceSpec")
	}
}
