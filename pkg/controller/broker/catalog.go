package broker

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// offering is an offering of the catalog as a sync publishes it: its class and plans,
// drafted.
type offering struct {
	class *draft[classSpec]
	plans []*draft[planSpec]
}

// convertService drafts a valid OSB offering as a class and its plans, named later.
func convertService(svc *osb.Service) (*offering, error) {
	withoutPlans := *svc
	withoutPlans.Plans = nil
	classDigest, err := digest(&withoutPlans, "plans", "dashboard_client")
	if err != nil {
		return nil, fmt.Errorf("offering: %w", err)
	}
	o := &offering{class: &draft[classSpec]{digest: classDigest, spec: classSpec{
		ExternalName:         svc.Name,
		ExternalID:           svc.ID,
		Description:          svc.Description,
		Bindable:             svc.Bindable,
		PlanUpdatable:        svc.PlanUpdatable != nil && *svc.PlanUpdatable,
		InstancesRetrievable: svc.InstancesRetrievable,
		BindingsRetrievable:  svc.BindingsRetrievable,
		AllowContextUpdates:  svc.AllowContextUpdates,
		Tags:                 svc.Tags,
		Requires:             svc.Requires,
		ExternalMetadata:     rawObject(svc.Metadata),
	}}}
	for i := range svc.Plans {
		plan, err := convertPlan(&svc.Plans[i])
		if err != nil {
			return nil, fmt.Errorf("plans[%d]: %w", i, err)
		}
		o.plans = append(o.plans, plan)
	}
	return o, nil
}

// convertPlan drafts a plan of a valid OSB offering.
func convertPlan(p *osb.Plan) (*draft[planSpec], error) {
	planDigest, err := digest(p)
	if err != nil {
		return nil, err
	}
	plan := &draft[planSpec]{digest: planDigest, spec: planSpec{
		ExternalName:                        p.Name,
		ExternalID:                          p.ID,
		Description:                         p.Description,
		Free:                                osb.EffectiveFree(p),
		Bindable:                            p.Bindable,
		PlanUpdatable:                       p.PlanUpdatable,
		BindingRotatable:                    osb.EffectiveBindingRotatable(p),
		ExternalMetadata:                    rawObject(p.Metadata),
		InstanceCreateParameterSchema:       rawObject(p.InstanceCreateSchema()),
		InstanceUpdateParameterSchema:       rawObject(p.InstanceUpdateSchema()),
		ServiceBindingCreateParameterSchema: rawObject(p.BindingCreateSchema()),
	}}
	if p.MaintenanceInfo != nil {
		plan.spec.MaintenanceInfo = &v1beta1.MaintenanceInfo{Version: p.MaintenanceInfo.Version, Description: p.MaintenanceInfo.Description}
	}
	if d, ok := p.MaximumPollingTime(); ok {
		plan.spec.MaximumPollingDuration = &metav1.Duration{Duration: d}
	}
	return plan, nil
}

// digest returns the catalogDigest of a catalog entry, an OSB offering or plan as the
// fetch decoded it, without the members named drop: "sha256:" and the hex SHA-256 of its
// canonical JSON. That is the entry encoded, parsed again and encoded once more by
// encoding/json, which sorts the keys of every object (of the opaque metadata and schemas
// too), drops insignificant white space and writes numbers in their shortest form: the
// digest changes when the entry does, not when the broker only formats it anew. Numbers
// are parsed as float64, so two integers beyond 2^53 that differ only in their last
// digits digest alike.
func digest(entry any, drop ...string) (string, error) {
	encoded, err := json.Marshal(entry)
	if err != nil {
		return "", err
	}
	var parsed map[string]any
	if err := json.Unmarshal(encoded, &parsed); err != nil {
		return "", err
	}
	for _, member := range drop {
		delete(parsed, member)
	}
	canonical, err := json.Marshal(parsed)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canonical)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// rawObject keeps a JSON object verbatim; anything else (null, arrays) is dropped, as the
// API accepts only objects there.
func rawObject(data json.RawMessage) *runtime.RawExtension {
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil || !bytes.HasPrefix(compact.Bytes(), []byte("{")) {
		return nil
	}
	// Compact, as the API server stores it, so that an unchanged catalog compares equal.
	return &runtime.RawExtension{Raw: compact.Bytes()}
}

// restrictions filter offerings and plans by a broker's catalogRestrictions.
type restrictions struct {
	classes, plans []labels.Selector
	// scope is the broker's: a namespaced broker's plan predicates may name the class as
	// spec.serviceClass.name, the field of its plans, as well as spec.clusterServiceClass.name.
	scope catalog.Scope
}

func parseRestrictions(r *v1beta1.CatalogRestrictions, scope catalog.Scope) (*restrictions, error) {
	out := &restrictions{scope: scope}
	if r == nil {
		return out, nil
	}
	for _, p := range r.ServiceClass {
		s, err := labels.Parse(p)
		if err != nil {
			return nil, fmt.Errorf("catalogRestrictions.serviceClass %q: %w", p, err)
		}
		out.classes = append(out.classes, s)
	}
	for _, p := range r.ServicePlan {
		s, err := labels.Parse(p)
		if err != nil {
			return nil, fmt.Errorf("catalogRestrictions.servicePlan %q: %w", p, err)
		}
		out.plans = append(out.plans, s)
	}
	return out, nil
}

func (r *restrictions) allowsClass(class *draft[classSpec]) bool {
	set := labels.Set{"name": class.name, "spec.externalName": class.spec.ExternalName, "spec.externalID": class.spec.ExternalID}
	return matchesAll(r.classes, set)
}

func (r *restrictions) allowsPlan(plan *draft[planSpec]) bool {
	set := labels.Set{
		"name":                          plan.name,
		"spec.externalName":             plan.spec.ExternalName,
		"spec.externalID":               plan.spec.ExternalID,
		"spec.free":                     strconv.FormatBool(plan.spec.Free),
		"spec.clusterServiceClass.name": plan.class,
	}
	if r.scope == catalog.NamespaceScope {
		set["spec.serviceClass.name"] = plan.class
	}
	return matchesAll(r.plans, set)
}

func matchesAll(selectors []labels.Selector, set labels.Set) bool {
	for _, s := range selectors {
		if !s.Matches(set) {
			return false
		}
	}
	return true
}

// namer picks readable, stable and collision-free Kubernetes names for classes and plans.
// An object keeps the name it was published under; a new one is named after its external
// name, with a short hash of its id when that name is taken, and with a short hash of its
// scope (its broker) and id when that one is taken too: brokers may share ids.
type namer struct {
	// taken tells whether a name is used by another object than the one named.
	taken func(name, externalID string) bool
	// scope tells apart objects of different brokers with the same id.
	scope string
}

func (n namer) name(base, externalID string) string {
	name := dnsName(base)
	if name != "" && !n.taken(name, externalID) {
		return name
	}
	hashed := withHash(name, shortHash(externalID))
	if n.scope == "" || !n.taken(hashed, externalID) {
		return hashed
	}
	return withHash(name, shortHash(n.scope+"/"+externalID))
}

// withHash appends a hash to a name, shortening the name to fit.
func withHash(name, hash string) string {
	if len(name) > utilvalidation.DNS1123SubdomainMaxLength-len(hash)-1 {
		name = strings.TrimRight(name[:utilvalidation.DNS1123SubdomainMaxLength-len(hash)-1], "-.")
	}
	if name == "" {
		return "x-" + hash
	}
	return name + "-" + hash
}

// dnsName turns an OSB name, which may hold any character, into a DNS-1123 subdomain:
// lower case, runs of other characters as one '-'.
func dnsName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 200 {
		name = strings.TrimRight(name[:200], "-.")
	}
	return name
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}

// fetchTime is the catalog fetch time recorded on published objects.
func fetchTime(now time.Time) *metav1.Time {
	t := metav1.NewTime(now.Truncate(time.Second))
	return &t
}
