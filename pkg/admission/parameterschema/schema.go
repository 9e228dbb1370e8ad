package parameterschema

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// Which names one of a plan's three parameter schemas.
type Which string

// The schemas of a plan.
const (
	InstanceCreate Which = "instance create"
	InstanceUpdate Which = "instance update"
	BindingCreate  Which = "binding create"
)

// errNoLoading refuses every reference to a schema outside the plan's own: the OSB
// specification forbids external references, and admission must not reach the network
// or the file system on a broker's say-so.
var errNoLoading = errors.New("references to other documents are not followed")

type noLoader struct{}

func (noLoader) Load(string) (any, error) { return nil, errNoLoading }

// compiled is a plan schema compiled once for one version of the plan.
type compiled struct {
	resourceVersion string
	schema          *jsonschema.Schema
	// err says why the schema cannot be used; the parameters are then not checked.
	err error
}

// cache holds each plan's compiled schemas, by plan UID and schema, for the plan's
// current resourceVersion only: a new version of the plan replaces the entry.
type cache struct {
	mu      sync.Mutex
	entries map[cacheKey]compiled
}

type cacheKey struct {
	plan  types.UID
	which Which
}

// maxCached bounds the compiled schemas kept.
const maxCached = 10000

func newCache() *cache { return &cache{entries: map[cacheKey]compiled{}} }

// get returns the compiled schema, compiling it on first use of this plan version.
func (c *cache) get(plan types.UID, resourceVersion string, which Which, raw *runtime.RawExtension) compiled {
	key := cacheKey{plan, which}
	c.mu.Lock()
	entry, ok := c.entries[key]
	c.mu.Unlock()
	if ok && entry.resourceVersion == resourceVersion {
		return entry
	}
	entry = compiled{resourceVersion: resourceVersion}
	entry.schema, entry.err = compile(raw)
	c.mu.Lock()
	if len(c.entries) >= maxCached {
		clear(c.entries) // plans of brokers whose ids changed leave entries behind
	}
	c.entries[key] = entry
	c.mu.Unlock()
	return entry
}

// compile compiles a plan schema. Schemas without $schema are draft-04, as the OSB
// specification asks platforms to support; later drafts are recognised by $schema.
func compile(raw *runtime.RawExtension) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw.Raw))
	if err != nil {
		return nil, fmt.Errorf("it is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(noLoader{})
	const url = "plan-schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	schema, err := c.Compile(url)
	if err != nil {
		return nil, err
	}
	return schema, nil
}
