package broker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestDNSName(t *testing.T) {
	for in, want := range map[string]string{
		"redis":                   "redis",
		"My Service_v2":           "my-service-v2",
		"  --PostgreSQL 16--":     "postgresql-16",
		"a..b//c":                 "a-b-c",
		"dots.are.not.kept":       "dots-are-not-kept",
		"Ünïcödé db":              "n-c-d-db",
		"日本語":                     "",
		"!!!":                     "",
		"":                        "",
		strings.Repeat("a", 300):  strings.Repeat("a", 200),
		strings.Repeat("ab-", 80): strings.TrimRight(strings.Repeat("ab-", 80)[:200], "-"),
	} {
		got := dnsName(in)
		if got != want {
			t.Errorf("dnsName(%q) = %q, want %q", in, got, want)
		}
		if got != "" {
			if errs := utilvalidation.IsDNS1123Subdomain(got); len(errs) > 0 {
				t.Errorf("dnsName(%q) = %q is no DNS subdomain: %v", in, got, errs)
			}
		}
	}
}

func TestNamer(t *testing.T) {
	taken := map[string]string{"db": "other-id", "x-" + shortHash("empty-id"): "someone"}
	n := namer{taken: func(name, externalID string) bool {
		id, ok := taken[name]
		return ok && id != externalID
	}}
	for _, tc := range []struct {
		base, id, want string
	}{
		{"Queue", "queue-id", "queue"},
		// A name the same object already has is not taken.
		{"db", "other-id", "db"},
		{"db", "db-id", "db-" + shortHash("db-id")},
		{"日本語", "empty-id", "x-" + shortHash("empty-id")},
		{strings.Repeat("a", 300), "long-id", strings.Repeat("a", 200)},
	} {
		got := n.name(tc.base, tc.id)
		if got != tc.want {
			t.Errorf("name(%q, %q) = %q, want %q", tc.base, tc.id, got, tc.want)
		}
		if errs := utilvalidation.IsDNS1123Subdomain(got); len(errs) > 0 {
			t.Errorf("name(%q, %q) = %q is no DNS subdomain: %v", tc.base, tc.id, got, errs)
		}
	}
	// A taken name of the longest readable form still fits.
	long := strings.Repeat("b", 200)
	taken[long] = "someone"
	if got := n.name(long, "long-id"); len(got) > utilvalidation.DNS1123SubdomainMaxLength || !strings.HasSuffix(got, "-"+shortHash("long-id")) {
		t.Errorf("name of a long taken name = %q", got)
	}
	// With a scope, a name taken with the id's hash too gets a hash of scope and id; without
	// one, the id's hash is all there is.
	taken["db-"+shortHash("db-id")] = "the same id at another broker"
	scoped := namer{taken: n.taken, scope: "my-broker"}
	looptest.Expect(t, "scoped names", []string{"queue", "db-" + shortHash("my-broker/db-id"), "db-" + shortHash("db-id")},
		[]string{scoped.name("queue", "queue-id"), scoped.name("db", "db-id"), n.name("db", "db-id")})
	a := shortHash("a")
	type hash struct {
		Length            int
		Stable, TellsBtoA bool
	}
	looptest.Expect(t, "shortHash", hash{8, true, true}, hash{len(a), shortHash("a") == a, shortHash("b") != a})
}

func TestRawObject(t *testing.T) {
	for in, want := range map[string]string{
		"{ \"a\" : 1,\n \"b\": [1, 2], \"c\": {\"d\": null} }": `{"a":1,"b":[1,2],"c":{"d":null}}`,
		`{}`:              `{}`,
		` null `:          "",
		`[1, 2]`:          "",
		`"text"`:          "",
		`42`:              "",
		`{"broken": `:     "",
		``:                "",
		`{"a":1} {}`:      "",
		"\t{\"k\":\"v\"}": `{"k":"v"}`,
	} {
		got := rawObject(json.RawMessage(in))
		switch {
		case want == "" && got != nil:
			t.Errorf("rawObject(%q) = %s, want nil", in, got.Raw)
		case want != "" && (got == nil || string(got.Raw) != want):
			t.Errorf("rawObject(%q) = %v, want %s", in, got, want)
		}
	}
}

func TestConvertServiceEffectiveValues(t *testing.T) {
	yes, no := true, false
	zero, ten := 0, 10
	svc := &osb.Service{
		ID: "svc", Name: "svc", Description: "d", Bindable: false,
		Plans: []osb.Plan{
			{ID: "defaults", Name: "defaults", Description: "d"},
			{ID: "set", Name: "set", Description: "d", Free: &no, Bindable: &yes, PlanUpdatable: &yes, BindingRotatable: &yes, MaximumPollingDuration: &ten},
			{ID: "zero-polling", Name: "zero-polling", Description: "d", Free: &yes, BindingRotatable: &no, MaximumPollingDuration: &zero},
		},
	}
	o := mustConvert(t, svc)
	type class struct {
		PlanUpdatable, Bindable bool
		ExternalMetadata        *runtime.RawExtension
		ExternalID              string
	}
	c := o.class.spec
	looptest.Expect(t, "class spec", class{false, false, nil, "svc"}, class{c.PlanUpdatable, c.Bindable, c.ExternalMetadata, c.ExternalID})
	svc.PlanUpdatable = &yes
	if !mustConvert(t, svc).class.spec.PlanUpdatable {
		t.Errorf("plan_updateable of the offering is lost")
	}
	if len(o.plans) != 3 {
		t.Fatalf("plans %d", len(o.plans))
	}
	// The effective values of a plan.
	type plan struct {
		Free                          bool
		Bindable, PlanUpdatable       *bool
		BindingRotatable              bool
		MaximumPollingDuration        *metav1.Duration
		MaintenanceInfo               *v1beta1.MaintenanceInfo
		InstanceCreateParameterSchema *runtime.RawExtension
	}
	planOf := func(p planSpec) plan {
		return plan{p.Free, p.Bindable, p.PlanUpdatable, p.BindingRotatable, p.MaximumPollingDuration, p.MaintenanceInfo, p.InstanceCreateParameterSchema}
	}
	// Absent free means free; absent bindable and plan_updateable defer to the class.
	looptest.Expect(t, "plan with defaults", plan{Free: true}, planOf(o.plans[0].spec))
	looptest.Expect(t, "plan with values", plan{
		Bindable: &yes, PlanUpdatable: &yes, BindingRotatable: true, MaximumPollingDuration: &metav1.Duration{Duration: 10 * time.Second},
	}, planOf(o.plans[1].spec))
	looptest.Expect(t, "plan with a zero polling duration", plan{Free: true}, planOf(o.plans[2].spec))
}

func mustConvert(t *testing.T, svc *osb.Service) *offering {
	t.Helper()
	o, err := convertService(svc)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// sha256Of is the catalogDigest of canonical JSON, computed here without the code under
// test.
func sha256Of(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestDigestsAreOfTheCanonicalJSONOfTheEntry(t *testing.T) {
	svc := service("kv-id", "kv", plan("kv-small-id", "small"))
	svc.Metadata = json.RawMessage(`{ "z": [1.50, {"b": 2, "a": null}], "displayName": "KV" }`)
	svc.Plans[0].Metadata = json.RawMessage(`{"cost": 10, "bullets": ["fast"]}`)
	o := mustConvert(t, &svc)
	type digests struct{ Class, Plan string }
	looptest.Expect(t, "digests", digests{
		// The offering without its plans; the keys sorted at every level, numbers short.
		Class: sha256Of(`{"bindable":true,"description":"The kv service","id":"kv-id","metadata":{"displayName":"KV","z":[1.5,{"a":null,"b":2}]},"name":"kv"}`),
		Plan:  sha256Of(`{"description":"The small plan","id":"kv-small-id","metadata":{"bullets":["fast"],"cost":10},"name":"small"}`),
	}, digests{o.class.digest, o.plans[0].digest})

	// The same entries, written otherwise, have the same digests; a change of any value,
	// mapped to the spec or not, changes them.
	svc.Metadata = json.RawMessage(`{"displayName":"KV","z":[1.5,{"a":null,"b":2}]}`)
	svc.Plans[0].Metadata = json.RawMessage("{\n  \"bullets\": [\"fast\"],\n  \"cost\": 10.0\n}")
	same := mustConvert(t, &svc)
	// Nor do the credentials of its dashboard client, which the digest must not reveal.
	svc.DashboardClient = &osb.DashboardClient{ID: "dashboard", Secret: "dashboard-secret"}
	if withClient := mustConvert(t, &svc); withClient.class.digest != o.class.digest {
		t.Errorf("the offering's dashboard_client changed its digest")
	}
	svc.PlanUpdatable = ptr.To(false)
	svc.Plans[0].Description = "Smaller"
	changed := mustConvert(t, &svc)
	looptest.Expect(t, "digests of the same entries", digests{o.class.digest, o.plans[0].digest}, digests{same.class.digest, same.plans[0].digest})
	if changed.class.digest == o.class.digest || changed.plans[0].digest == o.plans[0].digest {
		t.Errorf("a changed entry keeps its digest: %+v", digests{changed.class.digest, changed.plans[0].digest})
	}
	// An offering's digest does not cover its plans.
	svc.Plans = append(svc.Plans, plan("kv-large-id", "large"))
	looptest.Expect(t, "digest of the offering with another plan", changed.class.digest, mustConvert(t, &svc).class.digest)
}

func TestRestrictions(t *testing.T) {
	r, err := parseRestrictions(&v1beta1.CatalogRestrictions{
		ServiceClass: []string{"spec.externalID notin (bad-id)"},
		ServicePlan:  []string{"spec.free=true", "spec.clusterServiceClass.name in (kv)", "name!=kv-beta"},
	}, catalog.ClusterScope)
	if err != nil {
		t.Fatal(err)
	}
	class := func(name, id string) *draft[classSpec] {
		return &draft[classSpec]{name: name, spec: classSpec{ExternalID: id, ExternalName: name}}
	}
	plan := func(name, class string, free bool) *draft[planSpec] {
		return &draft[planSpec]{name: name, class: class, spec: planSpec{Free: free}}
	}
	for _, tc := range []struct {
		what    string
		allowed bool
		want    bool
	}{
		{"class kv", r.allowsClass(class("kv", "kv-id")), true},
		{"class bad", r.allowsClass(class("bad", "bad-id")), false},
		{"free plan of kv", r.allowsPlan(plan("kv-small", "kv", true)), true},
		{"paid plan of kv", r.allowsPlan(plan("kv-large", "kv", false)), false},
		{"free plan of another class", r.allowsPlan(plan("db-small", "db", true)), false},
		{"excluded by name", r.allowsPlan(plan("kv-beta", "kv", true)), false},
	} {
		if tc.allowed != tc.want {
			t.Errorf("%s: allowed %t, want %t", tc.what, tc.allowed, tc.want)
		}
	}

	none, err := parseRestrictions(nil, catalog.ClusterScope)
	if err != nil || !none.allowsClass(class("any", "any")) || !none.allowsPlan(plan("any", "any", false)) {
		t.Errorf("no restrictions: %v", err)
	}
	for _, bad := range []*v1beta1.CatalogRestrictions{
		{ServiceClass: []string{"name in (a"}},
		{ServicePlan: []string{"!!"}},
	} {
		if _, err := parseRestrictions(bad, catalog.ClusterScope); err == nil {
			t.Errorf("parseRestrictions(%+v) accepted an invalid selector", bad)
		}
	}
}

func TestAPlanRestrictionNamesTheClassByTheFieldOfTheScope(t *testing.T) {
	kvSmall := &draft[planSpec]{name: "kv-small", class: "kv", spec: planSpec{Free: true}}
	type allowed struct{ Cluster, Namespace bool }
	for _, tc := range []struct {
		predicate string
		want      allowed
	}{
		{"spec.clusterServiceClass.name=kv", allowed{true, true}},
		{"spec.serviceClass.name=kv", allowed{false, true}},
		{"spec.serviceClass.name=db", allowed{false, false}},
		{"spec.serviceClass.name!=db", allowed{true, true}},
	} {
		var got allowed
		for scope, into := range map[catalog.Scope]*bool{catalog.ClusterScope: &got.Cluster, catalog.NamespaceScope: &got.Namespace} {
			r, err := parseRestrictions(&v1beta1.CatalogRestrictions{ServicePlan: []string{tc.predicate}}, scope)
			if err != nil {
				t.Fatal(err)
			}
			*into = r.allowsPlan(kvSmall)
		}
		looptest.Expect(t, tc.predicate, tc.want, got)
	}
}

func TestSkippedSummary(t *testing.T) {
	got := skippedSummary([]v1beta1.SkippedOffering{{Name: "a", ID: "a-id", Message: "no plans"}, {ID: "b-id", Message: "no name"}})
	if want := `"a": no plans; "b-id": no name`; got != want {
		t.Errorf("skippedSummary = %q, want %q", got, want)
	}
}

func TestFetchTimeIsWholeSeconds(t *testing.T) {
	got := fetchTime(time.Date(2026, 1, 2, 3, 4, 5, 999_000_000, time.UTC))
	if !got.Time.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("fetchTime = %s", got)
	}
}
