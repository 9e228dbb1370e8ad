package servicebinding

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// pendingCredentials holds, in memory only, credentials the broker handed out that are
// not in their Secret yet, so that a failed Secret write is retried without asking the
// broker again. They are dropped once written, when the binding fails, is unbound or is
// gone. They are never logged or stored elsewhere.
type pendingCredentials struct {
	mu      sync.Mutex
	entries map[cache.ObjectName]pendingEntry
}

type pendingEntry struct {
	// uid and bindingID tell a binding from a later one with the same name.
	uid         types.UID
	bindingID   string
	credentials map[string]any
}

func newPendingCredentials() *pendingCredentials {
	return &pendingCredentials{entries: map[cache.ObjectName]pendingEntry{}}
}

// put keeps the credentials of a binding.
func (p *pendingCredentials) put(binding *v1beta1.ServiceBinding, credentials map[string]any) {
	if credentials == nil {
		credentials = map[string]any{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entries[cache.MetaObjectToName(binding)] = pendingEntry{uid: binding.UID, bindingID: brokerBindingID(binding), credentials: credentials}
}

// get returns the kept credentials of a binding.
func (p *pendingCredentials) get(binding *v1beta1.ServiceBinding) (map[string]any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[cache.MetaObjectToName(binding)]
	if !ok || e.uid != binding.UID || e.bindingID != brokerBindingID(binding) {
		return nil, false
	}
	return e.credentials, true
}

// forget drops the credentials of a binding.
func (p *pendingCredentials) forget(binding *v1beta1.ServiceBinding) {
	p.forgetKey(cache.MetaObjectToName(binding))
}

// forgetKey drops the credentials kept under a key.
func (p *pendingCredentials) forgetKey(key cache.ObjectName) {
	p.mu.Lock()
	delete(p.entries, key)
	p.mu.Unlock()
}
