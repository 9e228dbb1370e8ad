// Command bench is `make bench` (hack/bench.sh): benchmarks of the service
// catalog on a real control plane on this machine. They print figures and
// never assert times: a performance target that is not met is reported as
// such; only a measurement that returned errors makes the run fail (non-zero
// exit). Every run writes its figures to _output/bench/<timestamp>.json and
// _output/bench/latest.json, for comparison between commits.
//
// # Targets
//
// Each section prints its targets next to its figures, and the run ends with
// a "Targets:" block (the JSON report's "targets") that lists every target
// with its figure, its goal and whether it was met. Ratios are measured side
// by side in one run:
//
//   - section 1: our API server called directly creates at least 2.0x the
//     CRD's rate at c=16 and c=64 and 1.5x at c=1; through the aggregator at
//     least the CRD's rate at c=1, 16 and 64;
//   - sections 2 and 3: at least 300 instances/s and 300 bindings/s end to
//     end at N=1,000, with exactly one broker PUT each; p99 create-to-Ready
//     at most 2 s at N=1,000 and 1 s at N=100;
//   - section 4, at 100,000 instances: a LIST of one namespace of 1,000
//     (through the aggregator) under 0.5x the CRD's time, our API server's
//     RSS under kube-apiserver's serving the CRD with as many objects, the
//     controller manager's RSS under 1 GiB.
//
// A figure measured at another size than its target is stated for (smaller
// -instances or -scale) is judged all the same, with a note saying so.
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
// test broker, then a first batch of -small-instances instances (100) in a
// namespace of its own, measured on its own, then -instances instances
// (1,000) of the demo catalog's synchronous plan postgresql/small, each batch
// created at once (-flow-concurrency) through kube-apiserver, as users
// create them. A client-side watch records when each
// instance is Ready. It reports the time until all are Ready, instances/s,
// create-to-Ready percentiles, the broker's calls per instance (from its
// /admin/requests), our API server's writes per instance (the differences of
// apiserver_request_total), kube-apiserver's writes, the CPU time of every
// process per instance, and the controller loop's syncs, sync time and queue
// wait (from the controller manager's /metrics).
//
// # Section 3: bindings
//
// One binding per instance of section 2's main batch, created at once, until
// every binding's Secret exists, with the same figures. A probe binding first
// finds out whether a binding controller runs: if its Secret does not appear
// and nothing touched its status, the section is reported as SKIPPED (never
// as a success); if a controller touched it but no Secret came, that is an
// error.
//
// # Section 4: the scale curve
//
// A fresh stack as for section 2, and a fresh CRD (section 1's is deleted
// with its objects). The store grows to each size of -scale in turn
// (1,000, 10,000, 50,000 and 100,000 by default; each size grows from the
// previous one), the objects spread over namespaces of 1,000: the new
// instances are created at once until Ready, then a binding for each until
// its Secret exists, then as many objects of the CRD, side by side. At each
// size it reads, for our API server directly, through the aggregator and for
// the CRD, -scale-reps times each: a LIST of every namespace, of one
// namespace of 1,000, with a field selector (metadata.name, one match), the
// paginated LIST, and the watch start (a watch of every namespace with
// sendInitialEvents=true, as informers start, until its initial-events-end
// bookmark). Then the RSS of both API servers, the controller manager and
// kube-apiserver's etcd, the size of both etcds' files, the controller
// manager's restart (until /readyz answers, and until its loops have synced
// as many keys as there are objects with empty queues, which is its resync
// time at that size), and the create-to-Ready of a few new instances. A line
// per figure then says whether its cost grows no faster than linearly from
// the smallest size to the largest (a rate's cost is the time to create the
// size's objects at it), flagging superlinear steps.
//
// Both etcds get a quota of 8 GiB in section 4 (etcd's default is 2 GiB),
// and our API server runs with --etcd-compaction-interval=1m so that history
// is compacted sooner. A note warns when an etcd's file passes 80% of its
// quota. A growth step logs its progress every 15 seconds and, when done, an
// estimate of the time the remaining sizes take. At 100,000 objects the
// processes hold some 20 GiB between them (from the growth between 1,000 and
// 10,000); run it on a quiet machine with that much free memory.
package main
