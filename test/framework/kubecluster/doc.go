// Package kubecluster starts a real Kubernetes control plane for tests: etcd,
// kube-apiserver and kube-controller-manager as separate processes on
// 127.0.0.1, with free ports, a complete PKI generated in Go, and kubeconfig
// files for a configurable set of users and for the service catalog's own
// component identities.
//
// The binaries are not built here: hack/build-kube-binaries.sh (make
// kube-binaries) puts the pinned releases under _output/bin, and Start fails
// the test with a message saying so when they are missing. See LocateBinaries
// for the environment variables that point elsewhere.
//
// Environment: CATALOG_KUBE_BIN_DIR and ETCD_BIN point at other binaries;
// CATALOG_KUBECLUSTER_DIR makes Start keep each test's run directory (PKI,
// kubeconfigs, logs) under it for a look after the run. On a test failure
// Start prints the tail of every process log.
//
// The aggregated API server under test is not started by this package. It is
// registered with RegisterAggregatedAPI: an ExternalName Service (externalName
// localhost) plus one APIService per version whose service port is the local
// port the server listens on, with kube-apiserver running with
// --enable-aggregator-routing=false. The aggregator then dials
// https://localhost:<port> and verifies the serving certificate against
// AggregatedCAFile for the name <service>.<namespace>.svc, which is why the
// cluster generates that certificate (AggregatedCertFile, AggregatedKeyFile).
// An APIService whose server is gone makes discovery incomplete, and then
// kube-controller-manager's namespace controller and garbage collector stall:
// call UnregisterAggregatedAPI before stopping the server while the cluster
// keeps running.
//
// StartChild runs such a server, or any other long-running helper, with the
// same care as the cluster's own processes (own process group, killed with the
// test process on Linux, output in a log file, stopped by PID);
// test/framework/catalogstack uses it for the catalog's components.
//
// Typical use in an e2e test:
//
//	c := kubecluster.Start(t, kubecluster.Options{})
//	// start the aggregated server with c.AggregatedCertFile, c.AggregatedKeyFile
//	// and c.Kubeconfig("catalog-apiserver"), listening on port p
//	if err := c.RegisterAggregatedAPI(ctx, "servicecatalog.k8s.io", []string{"v1beta1"}, p); err != nil { ... }
//	if err := c.WaitAPIServiceAvailable(ctx, "v1beta1.servicecatalog.k8s.io", time.Minute); err != nil { ... }
//	out, errOut, err := c.RunKubectl(t, "alice", "get", "clusterservicebrokers")
package kubecluster
