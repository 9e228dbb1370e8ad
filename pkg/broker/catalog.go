package broker

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"

	"sigs.k8s.io/yaml"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// behaviorKey is the plan metadata key that holds test-broker knobs.
const behaviorKey = "testBroker"

//go:embed democatalog.yaml
var demoCatalogYAML []byte

// Catalog is what the broker serves on GET /v2/catalog, plus the behaviour
// knobs found in its plans' metadata.
type Catalog struct {
	// Services are the offerings, decoded.
	Services []osb.Service
	// Behaviors are the knobs from plan metadata, by plan id.
	Behaviors map[string]Behavior

	served []byte // the catalog JSON served, knobs removed
}

// DemoCatalog returns the built-in demo catalog: postgresql, redis, rabbitmq,
// s3-bucket and fault-injection offerings with fixed ids.
func DemoCatalog() *Catalog {
	c, err := ParseCatalog(demoCatalogYAML)
	if err != nil {
		panic("broker: the built-in demo catalog is invalid: " + err.Error())
	}
	return c
}

// DemoCatalogYAML returns the source of the demo catalog.
func DemoCatalogYAML() []byte { return bytes.Clone(demoCatalogYAML) }

// LoadCatalog reads a catalog file (YAML or JSON).
func LoadCatalog(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading catalog: %w", err)
	}
	c, err := ParseCatalog(data)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

// ParseCatalog parses an OSB catalog document, YAML or JSON, of the form
// {"services": [...]}. Knobs under a plan's metadata.testBroker are taken out
// into Behaviors. Every offering must pass osb.ValidateService, and offering
// and plan ids must be unique. Fields the osb package does not know are kept
// and served verbatim.
func ParseCatalog(data []byte) (*Catalog, error) {
	doc, services, err := decodeCatalogDocument(data)
	if err != nil {
		return nil, err
	}
	behaviors, err := takeBehaviors(services)
	if err != nil {
		return nil, err
	}
	served, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var decoded struct {
		Services []osb.Service `json:"services"`
	}
	if err := json.Unmarshal(served, &decoded); err != nil {
		return nil, fmt.Errorf("catalog has a field of the wrong type: %w", err)
	}
	c := &Catalog{Services: decoded.Services, Behaviors: behaviors, served: served}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeCatalogDocument decodes a YAML or JSON catalog document, keeping
// numbers exact, and returns it with its services list.
func decodeCatalogDocument(data []byte) (map[string]any, []any, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing catalog: %w", err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || doc == nil {
		return nil, nil, errors.New("catalog must be an object with a services list")
	}
	services, ok := doc["services"].([]any)
	if !ok {
		return nil, nil, errors.New(`catalog must have a "services" list`)
	}
	return doc, services, nil
}

// takeBehaviors takes the knobs out of every plan of services, which are
// served without them, and returns them by plan id.
func takeBehaviors(services []any) (map[string]Behavior, error) {
	behaviors := map[string]Behavior{}
	for i, s := range services {
		svc, ok := s.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("services[%d] is not an object", i)
		}
		plans, _ := svc["plans"].([]any)
		for j, p := range plans {
			plan, ok := p.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("services[%d].plans[%d] is not an object", i, j)
			}
			b, err := takePlanBehavior(plan)
			if err != nil {
				return nil, fmt.Errorf("services[%d].plans[%d].metadata.%s: %w", i, j, behaviorKey, err)
			}
			if b != nil {
				id, _ := plan["id"].(string)
				behaviors[id] = *b
			}
		}
	}
	return behaviors, nil
}

// takePlanBehavior removes the knobs from a plan's metadata (and the
// metadata too when nothing else is left) and returns them, or nil when the
// plan has none.
func takePlanBehavior(plan map[string]any) (*Behavior, error) {
	meta, _ := plan["metadata"].(map[string]any)
	knobs, found := meta[behaviorKey]
	if !found {
		return nil, nil
	}
	delete(meta, behaviorKey)
	if len(meta) == 0 {
		delete(plan, "metadata")
	}
	raw, err := json.Marshal(knobs)
	if err != nil {
		return nil, err
	}
	var b Behavior
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, err
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return &b, nil
}

func (c *Catalog) validate() error {
	var errs []error
	ids := map[string]bool{}
	names := map[string]bool{}
	for i := range c.Services {
		s := &c.Services[i]
		if err := osb.ValidateService(s); err != nil {
			errs = append(errs, fmt.Errorf("offering %d (%q): %w", i, s.Name, err))
		}
		if ids[s.ID] {
			errs = append(errs, fmt.Errorf("offering %d: duplicate id %q", i, s.ID))
		}
		if names[s.Name] {
			errs = append(errs, fmt.Errorf("offering %d: duplicate name %q", i, s.Name))
		}
		ids[s.ID], names[s.Name] = true, true
		for j := range s.Plans {
			if p := s.Plans[j].ID; p != "" && ids[p] {
				errs = append(errs, fmt.Errorf("offering %q plan %d: id %q is not unique in the catalog", s.Name, j, p))
			} else {
				ids[p] = true
			}
		}
	}
	return errors.Join(errs...)
}

// JSON returns the catalog document the broker serves.
func (c *Catalog) JSON() []byte { return bytes.Clone(c.served) }

// planRef locates a plan in the catalog.
type planRef struct {
	service *osb.Service
	plan    *osb.Plan
}

// index maps plan ids to their offering and plan.
func (c *Catalog) index() (services map[string]*osb.Service, plans map[string]planRef) {
	services = make(map[string]*osb.Service, len(c.Services))
	plans = map[string]planRef{}
	for i := range c.Services {
		s := &c.Services[i]
		services[s.ID] = s
		for j := range s.Plans {
			plans[s.Plans[j].ID] = planRef{service: s, plan: &s.Plans[j]}
		}
	}
	return services, plans
}

// getCatalog answers GET /v2/catalog.
func (b *Broker) getCatalog(c *call) {
	data := b.servedCatalog()
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(data)
}

// servedCatalog is the catalog document served on /v2/catalog.
func (b *Broker) servedCatalog() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.catalog.served
}
