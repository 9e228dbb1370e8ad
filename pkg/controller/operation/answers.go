package operation

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// Answers keeps, in memory only, the broker's answers to requests whose outcome is not in
// status yet, because the status write failed (the API server was down, or the write
// conflicted). The next sync writes the kept answer instead of sending the request
// again, so that a broker is asked once. An answer is kept for the object's UID and
// generation: a changed spec makes a new request.
type Answers[R any] struct {
	mu      sync.Mutex
	entries map[cache.ObjectName]answer[R]
}

type answer[R any] struct {
	uid        types.UID
	generation int64
	value      R
}

// NewAnswers returns an empty store.
func NewAnswers[R any]() *Answers[R] {
	return &Answers[R]{entries: map[cache.ObjectName]answer[R]{}}
}

// Put keeps the answer to the object's request.
func (a *Answers[R]) Put(obj metav1.Object, value R) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries[cache.ObjectName{Namespace: obj.GetNamespace(), Name: obj.GetName()}] = answer[R]{uid: obj.GetUID(), generation: obj.GetGeneration(), value: value}
}

// Get returns the kept answer to the object's request at its generation.
func (a *Answers[R]) Get(obj metav1.Object) (R, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.entries[cache.ObjectName{Namespace: obj.GetNamespace(), Name: obj.GetName()}]
	if !ok || e.uid != obj.GetUID() || e.generation != obj.GetGeneration() {
		var zero R
		return zero, false
	}
	return e.value, true
}

// Forget drops the answer kept under key.
func (a *Answers[R]) Forget(key cache.ObjectName) {
	a.mu.Lock()
	delete(a.entries, key)
	a.mu.Unlock()
}
