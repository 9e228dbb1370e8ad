package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// soak is one run: its environment, objects, monkey and report.
type soak struct {
	e       *env
	opts    *options
	rep     *report
	logf    func(string, ...any)
	ledger  *ledger
	monkey  *monkey
	kills   []killPoint
	secrets secrets
	// dump is every catalog object at the first checkpoint, for the leak
	// scan; recs are the brokers' last records.
	dump objectDump
	recs []*brokerRecord
}

// run runs the soak and returns the exit code: 0 when every target was met
// and every step worked, 1 otherwise.
func run(ctx context.Context, opts *options, out, logw io.Writer) int {
	start := time.Now()
	stamp := start.UTC().Format("20060102T150405Z")
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	logf := func(format string, a ...any) {
		fmt.Fprintf(logw, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	rep := newReport(opts, start)
	dir, err := os.MkdirTemp("", "catalog-soak-")
	if err != nil {
		fmt.Fprintln(logw, "soak:", err)
		return 1
	}
	logf("run directory %s (load average %s)", dir, rep.Machine.LoadAvgBefore)
	e, err := startEnv(ctx, opts, dir, logf)
	rep.SetupSeconds = time.Since(start).Seconds()
	if err != nil {
		rep.addError(fmt.Sprintf("starting: %v", err))
	} else {
		newSoak(e, opts, rep, logf).run(ctx)
	}
	if err := e.close(); err != nil {
		rep.addWarning(fmt.Sprintf("stopping: %v", err))
	}
	return finish(rep, opts, dir, stamp, start, out, logf)
}

// finish evaluates, writes and prints the report, and keeps the run
// directory when something is wrong or -keep asks for it.
func finish(rep *report, opts *options, dir, stamp string, start time.Time, out io.Writer, logf func(string, ...any)) int {
	rep.WallSeconds = time.Since(start).Seconds()
	rep.Machine.LoadAvgAfter = figures.LoadAvg()
	rep.evaluate()
	path, err := figures.WriteReport(opts.out, stamp, rep)
	if err != nil {
		rep.addError(fmt.Sprintf("writing the report: %v", err))
	}
	rep.print(out, path)
	code := rep.exitCode()
	if code != 0 || opts.keep {
		logf("run directory kept: %s", dir)
	} else if err := os.RemoveAll(dir); err != nil {
		logf("removing %s: %v", dir, err)
	}
	return code
}

// newSoak prepares a run on e.
func newSoak(e *env, opts *options, rep *report, logf func(string, ...any)) *soak {
	s := &soak{
		e: e, opts: opts, rep: rep, logf: logf, ledger: newLedger(opts),
		monkey: newMonkey(e, opts.seed, logf), kills: killPlan(opts.apiKills, opts.etcdKills), secrets: secrets{},
	}
	rep.KillPlan = s.kills
	return s
}

// run runs the fault windows, the checkpoints and the leak scan.
func (s *soak) run(ctx context.Context) {
	if err := s.prepare(ctx); err != nil {
		s.rep.addError(err.Error())
		return
	}
	sctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.e.replicas.supervise(sctx) })
	s.window(ctx, "window 1", stepCreate, stepUpdate, stepDeleteHalf)
	s.checkpoint(ctx, "after updates", true)
	s.window(ctx, "window 2", stepDeleteAll)
	s.checkpoint(ctx, "after deletes", false)
	stop()
	wg.Wait()
	s.figures(ctx)
	s.scanLeaks(ctx)
}

// prepare creates the namespaces and their parameter Secrets, and records
// every secret value set up so far.
func (s *soak) prepare(ctx context.Context) error {
	values, err := s.e.createNamespaces(ctx, s.ledger.namespaces)
	if err != nil {
		return err
	}
	for _, v := range values {
		if err := s.secrets.add("secret parameter value", v); err != nil {
			return err
		}
	}
	for _, b := range s.e.brokers {
		if err := s.secrets.add("broker username", b.username); err != nil {
			return err
		}
		if err := s.secrets.add("broker password", b.password); err != nil {
			return err
		}
	}
	return nil
}

// window runs steps under faults: the brokers misbehave, the leading
// controller manager is killed on a timer, and the steps' kill points kill
// the API server and etcd. Then the faults stop and everything is started
// that is down.
func (s *soak) window(ctx context.Context, name string, steps ...string) {
	start := time.Now()
	s.logf("%s: faults on (%.0f%% of broker answers; the leading controller manager killed every %s)", name, 100*s.opts.faultRate, s.opts.cmKillEvery)
	if err := s.e.setChaos(ctx, s.opts.faultRate); err != nil {
		s.rep.addError(fmt.Sprintf("%s: turning the brokers' faults on: %v", name, err))
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.monkey.killControllerManagers(wctx, s.opts.cmKillEvery) })
	for _, st := range steps {
		s.runStep(ctx, st)
		if _, err := s.waitConverged(ctx, name+" after "+st, s.opts.settleTimeout); err != nil {
			s.logf("%v", err)
		}
	}
	if rest := s.opts.windowMin - time.Since(start); rest > 0 {
		s.logf("%s: faults go on for %s more (-window-min)", name, rest.Round(time.Second))
		sleep(ctx, rest)
	}
	stop()
	wg.Wait()
	s.monkey.wait()
	if err := s.e.setChaos(ctx, 0); err != nil {
		s.rep.addError(fmt.Sprintf("%s: turning the brokers' faults off: %v", name, err))
	}
	if err := s.monkey.ensureUp(ctx); err != nil {
		s.rep.addError(fmt.Sprintf("%s: restarting what was down: %v", name, err))
	}
	s.rep.Windows = append(s.rep.Windows, windowResult{Name: name, Seconds: time.Since(start).Seconds()})
	s.logf("%s: faults off after %s", name, time.Since(start).Round(time.Second))
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// checkpoint waits for the objects to converge without faults and checks
// them against the brokers' records; dump keeps the objects for the leak
// scan.
func (s *soak) checkpoint(ctx context.Context, name string, dump bool) {
	start := time.Now()
	v, err := s.waitConverged(ctx, name, s.opts.convergeTimeout)
	if err != nil {
		s.rep.addError(err.Error())
		return
	}
	cp := &checkpoint{Name: name, ConvergeSeconds: time.Since(start).Seconds(), Tally: count(s.ledger.all(), v)}
	recs, err := s.e.records(ctx)
	if err != nil {
		s.rep.addError(fmt.Sprintf("%s: reading the brokers' records: %v", name, err))
		return
	}
	for _, o := range s.ledger.all() {
		switch st, why := classify(o, v); st {
		case statePending:
			cp.NotConverged = append(cp.NotConverged, finding{Check: "not-converged", Object: o.kind.String() + " " + o.key(), ID: o.externalID, Detail: why})
		case stateLost:
			cp.Lost = append(cp.Lost, finding{Check: "lost", Object: o.kind.String() + " " + o.key(), ID: o.externalID, Detail: why})
		}
		if why := lostUpdate(o, v); why != "" {
			cp.Lost = append(cp.Lost, finding{Check: "lost-update", Object: o.kind.String() + " " + o.key(), ID: o.externalID, Detail: why})
		}
	}
	names := s.ledger.names()
	cp.Orphans = findOrphans(v, recs, names)
	cp.ReadyNotAtBroker = findMissingAtBroker(s.ledger.all(), v, recs, s.planIDs())
	s.addEvidence(v, recs, cp.NotConverged, cp.Lost, cp.Orphans, cp.ReadyNotAtBroker)
	s.rep.Checkpoints = append(s.rep.Checkpoints, cp)
	if dump {
		if s.dump, err = dumpObjects(ctx, s.e.catalog); err != nil {
			s.rep.addError(fmt.Sprintf("%s: reading the objects for the leak scan: %v", name, err))
		}
	}
}

// planIDs maps each offering's plan names to their ids.
func (s *soak) planIDs() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, b := range s.e.brokers {
		out[b.offering] = b.planIDs
	}
	return out
}

// figures reads the brokers' final records: faults, duplicates, requests per
// object; and the kills.
func (s *soak) figures(ctx context.Context) {
	recs, err := s.e.records(ctx)
	if err != nil {
		s.rep.addError(fmt.Sprintf("reading the brokers' records: %v", err))
		return
	}
	s.recs = recs
	names := s.ledger.names()
	s.rep.Brokers = recs
	s.rep.DuplicateProvisions = findDuplicates(recs, osb.OperationProvision, names)
	s.rep.DuplicateBinds = findDuplicates(recs, osb.OperationBind, names)
	s.addEvidence(nil, recs, s.rep.DuplicateProvisions, s.rep.DuplicateBinds)
	s.rep.RequestsPerInstance, s.rep.RequestsPerBinding = requestsPerObject(recs, names)
	s.rep.Kills = s.monkey.killEvents()
	_, s.rep.ReplicaSelfExits = s.e.replicas.stats()
}

// scanLeaks searches every log, event, object and etcd value for the run's
// secret values: those set up, and every binding password the brokers
// issued.
func (s *soak) scanLeaks(ctx context.Context) {
	start := time.Now()
	for _, r := range s.recs {
		for _, ev := range r.History {
			if pw, ok := ev.Credentials["password"].(string); ok {
				if err := s.secrets.add("binding credential password", pw); err != nil {
					s.rep.addError(err.Error())
				}
			}
		}
	}
	scan := newLeakScan(s.secrets)
	s.rep.Leaks = scan
	steps := []struct {
		what string
		fn   func() error
	}{
		{"logs", func() error { return scan.scanLogs(s.e.dir) }},
		{"events", func() error { return scan.scanEvents(ctx, s.e.kube) }},
		{"objects", func() error { scan.scanObjects("after updates", s.dump); return nil }},
		{"catalog etcd", func() error { return scan.scanEtcdHistory(ctx, "catalog-etcd", s.e.etcd.Endpoint) }},
		{"kube etcd", func() error {
			return scan.scanEtcdCurrent(ctx, "kube-etcd", s.e.cluster.EtcdEndpoint, kubeSecretsPrefix)
		}},
	}
	for _, st := range steps {
		if err := st.fn(); err != nil {
			s.rep.addError(fmt.Sprintf("leak scan of the %s: %v", st.what, err))
		}
	}
	s.logf("leak scan: %d hits in %s", scan.total(), time.Since(start).Round(time.Millisecond))
}
