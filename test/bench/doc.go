// Command bench is `make bench` (hack/bench.sh): benchmarks of the service
// catalog on a real control plane on this machine. They print figures and
// never assert times: a performance target that is not met is reported as
// such; only a measurement that returned errors makes the run fail (non-zero
// exit). Every run writes its figures to _output/bench/<timestamp>.json and
// _output/bench/latest.json, for comparison between commits.
//
// Everything runs on 127.0.0.1: etcd and kube-apiserver from
// test/framework/kubecluster (the binaries of hack/build-kube-binaries.sh),
// the catalog's components from test/framework/catalogstack, built into
// _output/bench/bin.
//
// # Section 1: catalog vs CRD
//
// Four targets store the same ServiceInstances (class and plan by external
// name, a 1 KiB parameters object; see object.go):
//
//  1. direct: our API server on its own port, with the admin's client
//     certificate (system:masters: no SubjectAccessReview);
//  2. aggregated: our API server through kube-apiserver's aggregator;
//  3. crd: a ServiceInstance-shaped CRD (crd.yaml, group
//     bench.servicecatalog.example.com, status subresource) on the same
//     kube-apiserver;
//  4. etcd: raw clientv3 puts of the same JSON bytes into a separate etcd of
//     the version kube-apiserver uses, started with kubecluster's flags for
//     the benchmark alone (so that its memory and load are the target's
//     only; kube-apiserver's own etcd would mix in the CRD's writes).
//
// Fairness: the same objects, the same number (-n, 10,000 by default), the
// same client (client-go dynamic client, no client-side rate limit, one
// HTTP/2 connection per server) for targets 1-3; each target in its own
// namespace (key prefix); a warm-up (a LIST and a few creates in another
// namespace) per target before measuring; kube-controller-manager, the
// controller manager and the test broker are not running. Creates run at each
// -concurrency level in turn (a tenth of -n at the first, the rest evenly
// over the others); every level is split into -rounds rounds, and in each
// round the targets take turns, the first one rotating, so that the other
// engineers' jobs on this machine disturb every target alike. The CPU time of
// every process is read around each turn, so CPU per create is attributed to
// the target that ran.
//
// Then, with every object stored: memory (VmRSS and RssAnon of the serving
// process, after a forced GC through /debug/pprof/heap?gc=1 in the API
// servers, and the Go heap in use) compared with before the creates, scaled
// to 10,000 objects; -list-reps rounds of LISTs per target: unpaginated as
// JSON, the same asking for protobuf only (reported "n/a" with the answer
// when not served), and paginated with -page-size; -watchers watches per
// target and the delay from sending each of -watch-events creates to its
// arrival on every watch. Both API servers run with --profiling=true (their
// upstream default), which the forced GC needs; with -profile the benchmark
// also takes CPU profiles of them under create load and heap profiles.
//
// Our server's memory includes its embedded etcd; kube-apiserver's does not,
// so its etcd is listed too, for information. Our server stores the direct
// and the aggregated targets' objects, so its growth is divided by both.
//
// # Section 2: provisioning
//
// A fresh stack with the API server, the test broker and the controller
// manager (and kube-controller-manager, -kcm), a ClusterServiceBroker for the
// test broker, then -instances instances of the demo catalog's synchronous
// plan postgresql/small created at once (-flow-concurrency) through
// kube-apiserver, as users create them. A client-side watch records when each
// instance is Ready. It reports the time until all are Ready, instances/s,
// create-to-Ready percentiles, the broker's calls per instance (from its
// /admin/requests), our API server's writes per instance (the differences of
// apiserver_request_total), kube-apiserver's writes, the CPU time of every
// process per instance, and the controller loop's syncs, sync time and queue
// wait (from the controller manager's /metrics).
//
// # Section 3: bindings
//
// One binding per instance of section 2, created at once, until every
// binding's Secret exists, with the same figures. A probe binding first finds
// out whether a binding controller runs: if its Secret does not appear and
// nothing touched its status, the section is reported as SKIPPED (never as a
// success); if a controller touched it but no Secret came, that is an error.
package main
