package looptest

import (
	"slices"
	"testing"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Calls returns the OSB operations called so far, in order.
func (e *Env) Calls() []osb.Operation {
	var out []osb.Operation
	for _, a := range e.OSB.Actions() {
		out = append(out, a.Type)
	}
	return out
}

// WantCalls checks the OSB operations called so far, in order.
func (e *Env) WantCalls(want ...osb.Operation) {
	e.T.Helper()
	if got := e.Calls(); !slices.Equal(got, want) {
		e.T.Fatalf("OSB calls %v, want %v", got, want)
	}
}

// Username is the name of the user an OSB request says it is made by, or "" when it
// names none.
func Username(id *osb.OriginatingIdentity) string {
	if id == nil {
		return ""
	}
	return id.Username
}

// Answers returns the scripted answers of a fake OSB operation one by one, for its
// reaction to return: each a *R or an error. A call past the script fails the test.
func Answers[R any](t testing.TB, op osb.Operation, list ...any) func() (*R, error) {
	i := 0
	return func() (*R, error) {
		t.Helper()
		if i >= len(list) {
			t.Fatalf("unexpected %s call %d; %d scripted", op, i+1, len(list))
		}
		answer := list[i]
		i++
		switch a := answer.(type) {
		case error:
			return nil, a
		case *R:
			return a, nil
		}
		t.Fatalf("bad scripted answer %T", answer)
		return nil, nil
	}
}

// Request returns the request of the n-th call of op (0 is the first), a *R.
func Request[R any](e *Env, op osb.Operation, n int) *R {
	e.T.Helper()
	actions := e.OSB.ActionsOf(op)
	if n >= len(actions) {
		e.T.Fatalf("%d %s calls, want at least %d", len(actions), op, n+1)
	}
	return actions[n].Request.(*R)
}
