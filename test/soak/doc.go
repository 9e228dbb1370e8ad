// Command soak is `make soak` (hack/soak.sh): the service catalog on a real
// control plane on this machine, under load and under faults, compared at the
// end with what its brokers hold. It prints its figures, writes them to
// _output/soak/<timestamp>.json and _output/soak/latest.json, and exits
// non-zero when a target is missed or a step failed. TestSoakShort runs the
// same program with small numbers inside `make test`.
//
// Everything runs on 127.0.0.1: etcd, kube-apiserver and
// kube-controller-manager (test/framework/kubecluster), the catalog's API
// server on an etcd of its own that the soak runs (test/framework/catalogstack,
// with --etcd-servers and compaction off, so every value ever written can be
// searched), two controller-manager replicas sharing the leader Lease, and
// -brokers test brokers over HTTP in their chaos mode (pkg/broker, --chaos).
//
// # What it does
//
//  1. Window 1, under faults: -instances instances over -namespaces
//     namespaces (each with inline parameters and parameters from a Secret),
//     one binding for each of the first -bindings instances; then an update
//     of every instance (plan and parameters); then the delete of every
//     other instance and binding. Between steps it waits up to
//     -settle-timeout for the controllers.
//  2. Quiet: the faults stop, every component runs; it waits up to
//     -converge-timeout and checks (checkpoint "after updates").
//  3. Window 2, under faults: the delete of everything left.
//  4. Quiet again, and the checks of checkpoint "after deletes"; then the
//     credential leak scan.
//
// The faults: the brokers answer -fault-rate of the requests about instances
// and bindings with a seeded fault (5xx, a timeout past the controller's
// --osb-timeout, a malformed 2xx, 409, 422 ConcurrencyError, an asynchronous
// operation that ends failed, 410 to a poll, a slow answer); the leading
// controller manager is SIGKILLed every -cm-kill-every and restarted; the
// catalog API server is SIGKILLed and restarted -apiserver-kills times and
// its etcd -etcd-kills times, at set points of the steps (see killPlan).
// Each window lasts at least -window-min.
//
// # The figures
//
// Orphans (a broker resource with no object, or still held after its object
// is gone), lost objects (acknowledged by the API, then missing, or an
// acknowledged update undone), duplicate provisions (a provision of an id the
// broker already held, with no deprovision sent since), objects not converged
// (neither Ready nor Failed with a reason for their generation, or not gone
// after their delete), requests per object (max and p99), and credential
// leaks (every broker credential, issued binding password and secret
// parameter value, searched for in every log, event, object and value in the
// catalog's etcd and in kube's etcd outside Secrets). docs/soak.md explains
// them and the flags.
package main
