package parameterschema

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/warning"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// The plan "db-small" of class "db" has these schemas.
const (
	createSchema = `{
		"$schema": "http://json-schema.org/draft-04/schema#",
		"type": "object",
		"required": ["name"],
		"additionalProperties": false,
		"properties": {
			"name": {"type": "string", "pattern": "^[a-z]+$"},
			"size": {"type": "integer", "minimum": 1, "maximum": 64},
			"tier": {"enum": ["gold", "silver"]},
			"owner": {"type": "string", "format": "email"},
			"password": {"type": "string", "minLength": 12},
			"zones": {"type": "array", "items": {"type": "string"}},
			"backup": {"type": "object", "properties": {"hour": {"type": "integer", "maximum": 23}}}
		}
	}`
	updateSchema  = `{"type": "object", "properties": {"size": {"type": "integer", "minimum": 8}}}`
	bindingSchema = `{"type": "object", "properties": {"role": {"enum": ["reader", "writer"]}}, "required": ["role"]}`
)

func raw(s string) *runtime.RawExtension { return &runtime.RawExtension{Raw: []byte(s)} }

func testCatalog(tweak func(*v1beta1.ClusterServicePlan)) []runtime.Object {
	class := &v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: "db"}}
	class.Spec.ExternalName, class.Spec.ExternalID = "db", "db-id"
	plan := &v1beta1.ClusterServicePlan{ObjectMeta: metav1.ObjectMeta{Name: "db-small", UID: "plan-uid", ResourceVersion: "1"}}
	plan.Spec.ExternalName, plan.Spec.ExternalID = "small", "small-id"
	plan.Spec.ClusterServiceClassRef = v1beta1.ClusterObjectReference{Name: "db"}
	plan.Spec.InstanceCreateParameterSchema = raw(createSchema)
	plan.Spec.InstanceUpdateParameterSchema = raw(updateSchema)
	plan.Spec.ServiceBindingCreateParameterSchema = raw(bindingSchema)
	if tweak != nil {
		tweak(plan)
	}
	instance := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "db"}}
	instance.Spec.PlanReference = v1beta1.PlanReference{ClusterServiceClassExternalName: "db", ClusterServicePlanExternalName: "small"}
	instance.Status.ClusterServicePlanRef = &v1beta1.ClusterObjectReference{Name: "db-small"}
	// The namespaced twins (scopetest) in team-a: the class, the plan, and the instance
	// "local-db" of that plan.
	planTwin, instanceTwin := scopetest.Versioned(plan).(*v1beta1.ServicePlan), scopetest.Versioned(instance).(*v1beta1.ServiceInstance)
	planTwin.UID, instanceTwin.Name = "local-plan-uid", "local-db"
	return []runtime.Object{class, plan, instance, scopetest.Versioned(class), planTwin, instanceTwin}
}

// newPlugin returns the plugin on testCatalog, with a Kubernetes API holding the Secret
// "db-params" and a SubjectAccessReview that lets User read every Secret but "hidden".
func newPlugin(t *testing.T, tweak func(*v1beta1.ClusterServicePlan)) *Plugin {
	t.Helper()
	kube := kubefake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "db-params"},
			Data: map[string][]byte{"good": []byte(`{"password":"correct-horse-battery"}`), "short": []byte(`{"password":"hunter2"}`)}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "hidden"}, Data: map[string][]byte{"p": []byte(`{"password":"x"}`)}},
	)
	kube.PrependReactor("create", "subjectaccessreviews", func(a clienttesting.Action) (bool, runtime.Object, error) {
		review := a.(clienttesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview).DeepCopy()
		review.Status.Allowed = review.Spec.User == admissiontest.User.Name && review.Spec.ResourceAttributes.Name != "hidden"
		return true, review, nil
	})
	p := New()
	p.SetExternalKubeClientSet(kube)
	admissiontest.Initialize(t, p, true, testCatalog(tweak)...)
	return p
}

type recorder struct{ warnings []string }

func (r *recorder) AddWarning(_, text string) { r.warnings = append(r.warnings, text) }

// validate runs the plugin on a request and returns its error and warnings.
func validate(p *Plugin, obj, old runtime.Object) ([]string, error) {
	r := &recorder{}
	ctx := warning.WithWarningRecorder(context.Background(), r)
	a := admissiontest.Attributes(obj, old)
	if !p.Handles(a.GetOperation()) {
		return nil, nil
	}
	err := p.Validate(ctx, a, nil)
	return r.warnings, err
}

func newInstance(params string, from ...sc.ParametersFromSource) *sc.ServiceInstance {
	i := &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "db", Generation: 1}}
	i.Spec.PlanReference = sc.PlanReference{ClusterServiceClassExternalName: "db", ClusterServicePlanExternalName: "small"}
	if params != "" {
		i.Spec.Parameters = raw(params)
	}
	i.Spec.ParametersFrom = from
	return i
}

func fromSecret(name, key string) sc.ParametersFromSource {
	return sc.ParametersFromSource{SecretKeyRef: &sc.SecretKeyReference{Name: name, Key: key}}
}

// causes returns "field: type: detail" of each cause of an Invalid error.
func causes(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("error %v is not Invalid", err)
	}
	var out []string
	for _, c := range err.(apierrors.APIStatus).Status().Details.Causes {
		out = append(out, c.Field+": "+c.Message)
	}
	return out
}

func TestInstanceParameters(t *testing.T) {
	p := newPlugin(t, nil)
	tests := []struct {
		name   string
		obj    *sc.ServiceInstance
		causes []string
	}{
		{"valid", newInstance(`{"name":"orders","size":4,"tier":"gold","owner":"a@b.example","zones":["a","b"],"backup":{"hour":3}}`), nil},
		{"a wrong type", newInstance(`{"name":"orders","size":"big"}`), []string{
			"spec.parameters.size: Invalid value: must be of type integer, not string (the plan's instance create schema, type)"}},
		{"a required parameter missing", newInstance(`{"size":4}`), []string{
			"spec.parameters.name: Required value: is required (the plan's instance create schema, required)"}},
		{"not in the enum", newInstance(`{"name":"orders","tier":"bronze"}`), []string{
			"spec.parameters.tier: Invalid value: must be one of [\"gold\",\"silver\"] (the plan's instance create schema, enum)"}},
		{"a nested object", newInstance(`{"name":"orders","backup":{"hour":25}}`), []string{
			"spec.parameters.backup.hour: Invalid value: must be at most 23 (the plan's instance create schema, maximum)"}},
		{"an array item", newInstance(`{"name":"orders","zones":["a",5]}`), []string{
			"spec.parameters.zones[1]: Invalid value: must be of type string, not number (the plan's instance create schema, type)"}},
		{"a format", newInstance(`{"name":"orders","owner":"not-an-address"}`), []string{
			"spec.parameters.owner: Invalid value: must be a valid email (the plan's instance create schema, format)"}},
		{"additionalProperties false", newInstance(`{"name":"orders","colour":"blue"}`), []string{
			"spec.parameters.colour: Forbidden: is not a parameter of this plan (the plan's instance create schema, additionalProperties)"}},
		{"a pattern names the rule, not the value", newInstance(`{"name":"Orders-2"}`), []string{
			"spec.parameters.name: Invalid value: must match the pattern \"^[a-z]+$\" (the plan's instance create schema, pattern)"}},
		{"several rules at once", newInstance(`{"size":0,"tier":"x"}`), []string{
			"spec.parameters.name: Required value: is required (the plan's instance create schema, required)",
			"spec.parameters.size: Invalid value: must be at least 1 (the plan's instance create schema, minimum)",
			"spec.parameters.tier: Invalid value: must be one of [\"gold\",\"silver\"] (the plan's instance create schema, enum)"}},
		{"parametersFrom merged", newInstance(`{"name":"orders"}`, fromSecret("db-params", "good")), nil},
		{"a value from a Secret is checked and not shown", newInstance(`{"name":"orders"}`, fromSecret("db-params", "short")), []string{
			"spec.parameters.password: Invalid value: must be at least 12 characters long (the plan's instance create schema, minLength)"}},
		{"an unknown plan is left to the controller", func() *sc.ServiceInstance {
			i := newInstance(`{"size":"big"}`)
			i.Spec.ClusterServicePlanExternalName = "huge"
			return i
		}(), nil},
	}
	for _, tc := range tests {
		// Each case with the plan of the cluster, and with its twin in the namespace.
		for scope, obj := range map[string]*sc.ServiceInstance{"cluster": tc.obj, "namespace": scopetest.Instance(tc.obj)} {
			t.Run(scope+"/"+tc.name, func(t *testing.T) {
				warnings, err := validate(p, obj, nil)
				if diff := cmp.Diff(tc.causes, causes(t, err)); diff != "" {
					t.Errorf("causes (-want +got):\n%s", diff)
				}
				if len(warnings) != 0 {
					t.Errorf("warnings %q", warnings)
				}
				if err != nil && strings.Contains(err.Error(), "hunter2") {
					t.Errorf("the error shows the Secret's value: %v", err)
				}
			})
		}
	}
}

func TestUnusableSchemasAndSecretsWarn(t *testing.T) {
	tests := []struct {
		name    string
		schema  string
		obj     *sc.ServiceInstance
		warning string
	}{
		{"a schema that is not JSON", `{"type": `, newInstance(`{"size":"big"}`), "the instance create schema of plan db-small cannot be used"},
		{"a schema that is not a schema", `{"type": 5}`, newInstance(`{"size":"big"}`), "the instance create schema of plan db-small cannot be used"},
		{"an unknown draft", `{"$schema": "https://example.com/my-draft", "type": "object"}`, newInstance(`{"size":"big"}`), "the instance create schema of plan db-small cannot be used"},
		{"a reference to another document", `{"$ref": "https://example.com/schema.json"}`, newInstance(`{"size":"big"}`), "references to other documents are not followed"},
		{"a Secret the user may not read", createSchema, newInstance(`{"name":"orders"}`, fromSecret("hidden", "p")), `user "alice" cannot read Secret "hidden"`},
		{"a missing Secret", createSchema, newInstance(`{"name":"orders"}`, fromSecret("absent", "p")), `Secret "absent" not found`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlugin(t, func(plan *v1beta1.ClusterServicePlan) { plan.Spec.InstanceCreateParameterSchema = raw(tc.schema) })
			warnings, err := validate(p, tc.obj, nil)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], tc.warning) {
				t.Errorf("warnings %q, want one containing %q", warnings, tc.warning)
			}
		})
	}
}

func TestNoSchemaChecksNothing(t *testing.T) {
	p := newPlugin(t, func(plan *v1beta1.ClusterServicePlan) { plan.Spec.InstanceCreateParameterSchema = nil })
	if warnings, err := validate(p, newInstance(`{"anything":[1,2,3]}`), nil); err != nil || len(warnings) != 0 {
		t.Errorf("error %v, warnings %q", err, warnings)
	}
}

func TestUpdatesUseTheUpdateSchema(t *testing.T) {
	p := newPlugin(t, nil)
	old := newInstance(`{"name":"orders","size":4}`)
	changed := old.DeepCopy()
	changed.Generation = 2
	// The create schema requires name and allows size 4; the update schema wants 8 or more.
	changed.Spec.Parameters = raw(`{"size":4}`)
	_, err := validate(p, changed, old)
	want := []string{"spec.parameters.size: Invalid value: must be at least 8 (the plan's instance update schema, minimum)"}
	if diff := cmp.Diff(want, causes(t, err)); diff != "" {
		t.Errorf("causes (-want +got):\n%s", diff)
	}
	changed.Spec.Parameters = raw(`{"size":16}`)
	if _, err := validate(p, changed, old); err != nil {
		t.Errorf("a valid update was refused: %v", err)
	}
	// An update that leaves the spec alone (a finalizer, a label) checks nothing.
	same := old.DeepCopy()
	same.Spec.Parameters = raw(`{"size":4}`)
	if _, err := validate(p, same, old); err != nil {
		t.Errorf("an update without a spec change was checked: %v", err)
	}
}

func TestBindingParameters(t *testing.T) {
	p := newPlugin(t, nil)
	binding := func(instance, params string) *sc.ServiceBinding {
		b := &sc.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "creds"}}
		b.Spec.InstanceRef = sc.ServiceInstanceReference{Name: instance}
		b.Spec.Parameters = raw(params)
		return b
	}
	// To the instance of the cluster's plan, and to "local-db" of the namespace's.
	for _, instance := range []string{"db", "local-db"} {
		if _, err := validate(p, binding(instance, `{"role":"reader"}`), nil); err != nil {
			t.Errorf("%s: a valid binding was refused: %v", instance, err)
		}
		_, err := validate(p, binding(instance, `{"role":"admin"}`), nil)
		want := []string{"spec.parameters.role: Invalid value: must be one of [\"reader\",\"writer\"] (the plan's binding create schema, enum)"}
		if diff := cmp.Diff(want, causes(t, err)); diff != "" {
			t.Errorf("%s: causes (-want +got):\n%s", instance, diff)
		}
	}
}

// A schema of a later draft, named by $schema, is enforced with that draft's keywords; the
// same schema without $schema is read as draft-04, which does not know them.
func TestLaterDraftsAreRecognisedBySchema(t *testing.T) {
	const keywords2020 = `
		"type": "object",
		"properties": {"zones": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}},
		"dependentRequired": {"replicas": ["zones"]}`
	const keywords07 = `"type": "object", "properties": {"engine": {"const": "postgres"}}`
	const (
		draft2020 = `{"$schema": "https://json-schema.org/draft/2020-12/schema",` + keywords2020 + `}`
		draft07   = `{"$schema": "http://json-schema.org/draft-07/schema#",` + keywords07 + `}`
		unnamed   = `{` + keywords2020 + `}`
	)
	tests := []struct {
		name, schema, params string
		// causes are the causes of the refusal, nil when the parameters pass; says, when
		// set, are words of the one cause instead.
		causes, says []string
	}{
		{"2020-12: valid", draft2020, `{"zones":["eu",3],"replicas":2}`, nil, nil},
		{"2020-12: prefixItems", draft2020, `{"zones":["eu","three"]}`, []string{
			"spec.parameters.zones[1]: Invalid value: must be of type integer, not string (the plan's instance create schema, type)"}, nil},
		{"2020-12: dependentRequired", draft2020, `{"replicas":2}`, nil, []string{"spec.parameters: ", "zones", "replicas", "schema, dependentRequired)"}},
		{"draft-07: const", draft07, `{"engine":"mysql"}`, []string{
			"spec.parameters.engine: Invalid value: must be \"postgres\" (the plan's instance create schema, const)"}, nil},
		{"no $schema: draft-04 ignores prefixItems", unnamed, `{"zones":["eu","three"]}`, nil, nil},
		{"no $schema: draft-04 ignores dependentRequired", unnamed, `{"replicas":2}`, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlugin(t, func(plan *v1beta1.ClusterServicePlan) { plan.Spec.InstanceCreateParameterSchema = raw(tc.schema) })
			warnings, err := validate(p, newInstance(tc.params), nil)
			got := causes(t, err)
			switch {
			case tc.says != nil:
				if len(got) != 1 {
					t.Fatalf("causes %q, want one", got)
				}
				for _, s := range tc.says {
					if !strings.Contains(got[0], s) {
						t.Errorf("cause %q does not say %q", got[0], s)
					}
				}
			default:
				if diff := cmp.Diff(tc.causes, got); diff != "" {
					t.Errorf("causes (-want +got):\n%s", diff)
				}
			}
			if len(warnings) != 0 {
				t.Errorf("warnings %q: the schema was not used", warnings)
			}
		})
	}
}

func TestSchemasAreCompiledOncePerPlanVersion(t *testing.T) {
	c := newCache()
	first := c.get("plan-uid", "1", InstanceCreate, raw(createSchema))
	if first.err != nil {
		t.Fatal(first.err)
	}
	if again := c.get("plan-uid", "1", InstanceCreate, raw(`{"broken":`)); again.schema != first.schema {
		t.Error("the same plan version was compiled again")
	}
	if next := c.get("plan-uid", "2", InstanceCreate, raw(updateSchema)); next.schema == first.schema || next.err != nil {
		t.Errorf("a new plan version kept the old schema (err %v)", next.err)
	}
}

// BenchmarkInstanceCreate measures the admission of an instance create against a plan
// schema compiled once: what the check costs per create.
func BenchmarkInstanceCreate(b *testing.B) {
	p := New()
	admissiontest.Initialize(b, p, true, testCatalog(nil)...)
	a := admissiontest.Attributes(newInstance(`{"name":"orders","size":4,"tier":"gold","owner":"a@b.example","zones":["a","b"],"backup":{"hour":3}}`), nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Validate(ctx, a, nil); err != nil {
			b.Fatal(err)
		}
	}
}
