// Command benchha measures the highly available catalog (artifacts/deploy/ha:
// three API server replicas behind the APIService, a three-member etcd over
// TLS, two controller managers) on a cluster whose node is this machine
// (test/framework/nodecluster), under steady load through kube-apiserver
// (creates, reads, a watch; every instance provisioned at the test broker),
// while it SIGKILLs one API server replica, one etcd member that is not the
// leader, then the leader, then the leading controller manager, and at last
// rolls both Deployments as an upgrade does. It prints, per
// phase, the requests that failed (at the first attempt, and after a client's
// retries), then acknowledged creates later missing, watch gaps, how long the
// new controller leader took to resume work, and duplicate provisions at the
// broker, and writes them to _output/bench-ha/<timestamp>.json. It asserts
// nothing: make bench-ha (hack/bench-ha.sh) runs it in namespaces of its own.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"
	"github.com/kube-service-catalog/catalog/test/framework/nodecluster"
)

// options are the command's flags.
type options struct {
	writers, readers, rate int
	phase                  time.Duration
	out                    string
}

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	flag.IntVar(&o.writers, "writers", 4, "goroutines creating instances")
	flag.IntVar(&o.readers, "readers", 2, "goroutines getting and listing instances")
	flag.IntVar(&o.rate, "rate", 10, "instances created per second, at most: a steady load the controller keeps up with")
	flag.DurationVar(&o.phase, "phase", 30*time.Second, "load between two kills")
	flag.StringVar(&o.out, "out", "_output/bench-ha", "directory of the JSON report")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
	}
	c, err := nodecluster.Start(ctx, nodecluster.Options{Logf: logf})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-ha:", err)
		return 1
	}
	defer c.Stop()
	r, err := measure(ctx, c, o, logf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-ha:", err)
		return 1
	}
	r.print(os.Stdout)
	path, err := figures.WriteReport(o.out, r.Started.Format("20060102T150405Z"), r)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-ha:", err)
		return 1
	}
	fmt.Printf("\nwritten to %s\n", path)
	return 0
}

// measure installs the highly available catalog and runs the load through the
// kills.
func measure(ctx context.Context, c *nodecluster.Cluster, o options, logf func(string, ...any)) (*report, error) {
	if err := install(ctx, c); err != nil {
		return nil, err
	}
	l, err := newLoad(c, o)
	if err != nil {
		return nil, err
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	go l.run(loadCtx)
	r := &report{Started: time.Now().UTC(), Writers: o.writers, Readers: o.readers, Rate: o.rate}
	faults := []fault{
		{"warm-up", nil},
		{"an API server replica SIGKILLed", killAPIServer},
		{"an etcd member (not the leader) SIGKILLed", killEtcd(false)},
		{"the etcd leader SIGKILLed", killEtcd(true)},
		{"the leading controller manager SIGKILLed", killControllerManager(r)},
		{"both Deployments rolled (an upgrade)", rollingRestart},
	}
	for _, f := range faults {
		p, err := l.phase(ctx, c, f, o.phase)
		if err != nil {
			return nil, err
		}
		logf("phase %q: %d creates acknowledged", f.name, p.Acknowledged)
		r.Phases = append(r.Phases, p)
	}
	l.stopWorkers()
	// The watch has a while to deliver the last creates.
	l.waitDelivered(ctx, 30*time.Second)
	stopLoad()
	<-l.watchDone
	return r, r.check(ctx, c, l)
}
