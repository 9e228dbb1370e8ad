package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// The components the monkey kills at kill points.
const (
	targetAPIServer = "apiserver"
	targetEtcd      = "etcd"
)

// killPoint kills Target once step Step has acknowledged the share At of
// its operations.
type killPoint struct {
	Step   string  `json:"step"`
	At     float64 `json:"at"`
	Target string  `json:"target"`
}

// killPlan places the API server and etcd kills: the first API server kill
// amid the creates, the second amid the final deletes, the etcd kill amid
// the updates, and further ones over the other steps.
func killPlan(apiKills, etcdKills int) []killPoint {
	type slot struct {
		step string
		at   float64
	}
	apiSlots := []slot{{stepCreate, 0.4}, {stepDeleteAll, 0.5}, {stepUpdate, 0.25}, {stepDeleteHalf, 0.5}}
	etcdSlots := []slot{{stepUpdate, 0.5}, {stepDeleteHalf, 0.25}, {stepCreate, 0.7}, {stepDeleteAll, 0.25}}
	var out []killPoint
	add := func(n int, slots []slot, target string) {
		for i := range n {
			sl := slots[i%len(slots)]
			at := min(sl.at+0.1*float64(i/len(slots)), 0.95)
			out = append(out, killPoint{Step: sl.step, At: at, Target: target})
		}
	}
	add(apiKills, apiSlots, targetAPIServer)
	add(etcdKills, etcdSlots, targetEtcd)
	return out
}

// killEvent records one kill and the restart after it.
type killEvent struct {
	Time   time.Time `json:"time"`
	Target string    `json:"target"`
	// Step is where the kill point was, for API server and etcd kills.
	Step string `json:"step,omitempty"`
	// DownSeconds is from the kill until the component was back (ready).
	DownSeconds float64 `json:"downSeconds"`
	Error       string  `json:"error,omitempty"`
}

// monkey kills components: the leading controller manager on a timer, the
// API server and etcd at kill points, one at a time.
type monkey struct {
	e      *env
	logf   func(string, ...any)
	serial sync.Mutex // one API server or etcd kill at a time
	wg     sync.WaitGroup

	mu     sync.Mutex
	rng    *rand.Rand
	events []killEvent
}

// newMonkey returns a monkey for e; seed chooses replicas when no leader is
// known.
func newMonkey(e *env, seed uint64, logf func(string, ...any)) *monkey {
	return &monkey{e: e, logf: logf, rng: rand.New(rand.NewPCG(seed, seed))}
}

// fire kills kp's target in the background.
func (m *monkey) fire(ctx context.Context, kp killPoint) {
	m.wg.Go(func() {
		m.serial.Lock()
		defer m.serial.Unlock()
		ev := killEvent{Time: time.Now(), Target: kp.Target, Step: kp.Step}
		var err error
		if kp.Target == targetAPIServer {
			err = m.killAPIServer(ctx)
		} else {
			err = m.killEtcd(ctx)
		}
		m.record(ev, err)
	})
}

// killAPIServer SIGKILLs the catalog API server and starts it again, which
// waits until the aggregator serves it.
func (m *monkey) killAPIServer(ctx context.Context) error {
	m.logf("SIGKILL the catalog API server")
	if err := m.e.stack.KillComponent(catalogstack.APIServer); err != nil {
		return err
	}
	return m.e.stack.StartComponent(context.WithoutCancel(ctx), catalogstack.APIServer)
}

// killEtcd SIGKILLs the catalog's etcd and starts it again.
func (m *monkey) killEtcd(ctx context.Context) error {
	m.logf("SIGKILL the catalog's etcd")
	if err := m.e.etcd.kill(); err != nil {
		return err
	}
	return m.e.etcd.start(context.WithoutCancel(ctx))
}

// record keeps a kill's event.
func (m *monkey) record(ev killEvent, err error) {
	ev.DownSeconds = time.Since(ev.Time).Seconds()
	if err != nil {
		ev.Error = err.Error()
		m.logf("%s kill: %v", ev.Target, err)
	} else {
		m.logf("%s back after %.1fs", ev.Target, ev.DownSeconds)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, ev)
}

// killControllerManagers SIGKILLs the leading controller manager (or, with
// no leader, a replica drawn at random) every period until ctx is done, and
// restarts it at once.
func (m *monkey) killControllerManagers(ctx context.Context, every time.Duration) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		i, ok := m.e.replicas.leader(ctx)
		if !ok {
			m.mu.Lock()
			i = m.rng.IntN(len(m.e.replicas.replicas))
			m.mu.Unlock()
		}
		ev := killEvent{Time: time.Now(), Target: m.e.replicas.replicas[i].name}
		m.record(ev, m.e.replicas.killAndRestart(context.WithoutCancel(ctx), i))
	}
}

// wait waits for the kills fired so far.
func (m *monkey) wait() { m.wg.Wait() }

// killEvents returns the kills so far.
func (m *monkey) killEvents() []killEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]killEvent(nil), m.events...)
}

// ensureUp starts whatever is down: etcd, the API server, the replicas.
func (m *monkey) ensureUp(ctx context.Context) error {
	m.serial.Lock()
	defer m.serial.Unlock()
	var errs []error
	if !m.e.etcd.running() {
		errs = append(errs, m.e.etcd.start(ctx))
	}
	if !m.e.stack.Running(catalogstack.APIServer) {
		errs = append(errs, m.e.stack.StartComponent(ctx, catalogstack.APIServer))
	}
	errs = append(errs, m.e.replicas.ensureRunning(ctx))
	return errors.Join(errs...)
}
