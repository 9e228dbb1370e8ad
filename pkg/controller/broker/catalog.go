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
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// offering is an offering of the catalog as the catalog will publish it.
type offering struct {
	class *v1beta1.ClusterServiceClass
	plans []*v1beta1.ClusterServicePlan
}

// convertService turns a valid OSB offering into a class and its plans, named later.
func convertService(brokerName string, svc *osb.Service) *offering {
	o := &offering{class: &v1beta1.ClusterServiceClass{Spec: v1beta1.ClusterServiceClassSpec{
		CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{
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
		},
		ClusterServiceBrokerName: brokerName,
	}}}
	for i := range svc.Plans {
		p := &svc.Plans[i]
		plan := &v1beta1.ClusterServicePlan{Spec: v1beta1.ClusterServicePlanSpec{
			CommonServicePlanSpec: v1beta1.CommonServicePlanSpec{
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
			},
			ClusterServiceBrokerName: brokerName,
		}}
		if p.MaintenanceInfo != nil {
			plan.Spec.MaintenanceInfo = &v1beta1.MaintenanceInfo{Version: p.MaintenanceInfo.Version, Description: p.MaintenanceInfo.Description}
		}
		if d, ok := p.MaximumPollingTime(); ok {
			plan.Spec.MaximumPollingDuration = &metav1.Duration{Duration: d}
		}
		o.plans = append(o.plans, plan)
	}
	return o
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
}

func parseRestrictions(r *v1beta1.CatalogRestrictions) (*restrictions, error) {
	out := &restrictions{}
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

func (r *restrictions) allowsClass(class *v1beta1.ClusterServiceClass) bool {
	set := labels.Set{"name": class.Name, "spec.externalName": class.Spec.ExternalName, "spec.externalID": class.Spec.ExternalID}
	return matchesAll(r.classes, set)
}

func (r *restrictions) allowsPlan(plan *v1beta1.ClusterServicePlan) bool {
	set := labels.Set{
		"name":                          plan.Name,
		"spec.externalName":             plan.Spec.ExternalName,
		"spec.externalID":               plan.Spec.ExternalID,
		"spec.free":                     strconv.FormatBool(plan.Spec.Free),
		"spec.clusterServiceClass.name": plan.Spec.ClusterServiceClassRef.Name,
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
