// Package catalogstack runs the whole service catalog the way users reach it,
// for end-to-end tests and for `make run`: a real control plane from
// kubecluster (etcd, kube-apiserver, kube-controller-manager), the RBAC of
// artifacts/deploy/rbac and the flow control of artifacts/deploy/flowcontrol
// applied with kubectl, and the catalog's own binaries as separate processes
// on 127.0.0.1:
//
//   - the API server (cmd/apiserver) in delegated mode: it authenticates and
//     authorizes every request through kube-apiserver with the identity of
//     the ServiceAccount service-catalog/catalog-apiserver, stores objects in
//     its embedded etcd, and is reached through an APIService;
//   - the test broker (cmd/test-broker) with its demo catalog;
//   - the controller manager (cmd/controller-manager), when the repository
//     has one, as service-catalog/catalog-controller-manager.
//
// The binaries are built once per process with `go build` (into
// _output/e2e-bin by default); kubecluster's binaries must exist already
// (`make kube-binaries`).
//
// Start is for tests (it skips in -short mode and stops the stack on
// t.Cleanup, printing log tails if the test failed); StartStack and Stop are
// for programs such as hack/local-up. Tests that restart a component use
// StopComponent, StartComponent and RestartComponent.
//
// Teardown order matters: the controller manager goes first, then the
// APIService is deleted before the API server stops, because an APIService
// whose server is gone makes discovery incomplete, and that stalls namespace
// deletion and garbage collection in the whole cluster.
package catalogstack
