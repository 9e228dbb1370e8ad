package catalogcmd

import (
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/dryrun"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
)

// target is the object a command that acts on one object of a given kind acts on.
type target struct {
	kind     kinds.Kind
	name     string
	strategy dryrun.Strategy
	set      *clients.Set
	ns       string
}

// target reads the kind word and name of args among groups, and --dry-run.
func (e *Env) target(groups []kinds.Group, args []string, dry *dryrun.Flag) (*target, error) {
	group, err := kinds.Lookup(args[0], groups)
	if err != nil {
		return nil, err
	}
	strategy, err := dry.Strategy()
	if err != nil {
		return nil, err
	}
	set, ns, err := e.workspace()
	if err != nil {
		return nil, err
	}
	return &target{kind: group.Kinds[0], name: args[1], strategy: strategy, set: set, ns: ns}, nil
}

// what names the target in messages: serviceinstance/db.
func (t *target) what() string {
	return objectName(t.kind.Singular(), t.name)
}
