package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"

	"github.com/kube-service-catalog/catalog/test/framework/nodecluster"
)

// catalogNamespace is where the catalog runs.
const catalogNamespace = "service-catalog"

// fault is a phase's fault: kill returns what it killed.
type fault struct {
	name string
	kill func(ctx context.Context, c *nodecluster.Cluster, l *load) (string, error)
}

// phase injects f, then runs the load for d and returns what changed.
func (l *load) phase(ctx context.Context, c *nodecluster.Cluster, f fault, d time.Duration) (phase, error) {
	before := l.snapshot()
	p := phase{Name: f.name}
	if f.kill != nil {
		killed, err := f.kill(ctx, c, l)
		if err != nil {
			return p, fmt.Errorf("%s: %w", f.name, err)
		}
		p.Killed = killed
	}
	select {
	case <-ctx.Done():
		return p, ctx.Err()
	case <-time.After(d):
	}
	after := l.snapshot()
	p.Creates, p.CreateErrors, p.CreatesFailed = after[0]-before[0], after[1]-before[1], after[2]-before[2]
	p.Reads, p.ReadErrors, p.ReadsFailed = after[3]-before[3], after[4]-before[4], after[5]-before[5]
	p.Acknowledged = len(l.acknowledged())
	return p, nil
}

func (l *load) snapshot() [6]int64 {
	return [6]int64{
		l.c.creates.Load(), l.c.createErrors.Load(), l.c.createsFailed.Load(),
		l.c.reads.Load(), l.c.readErrors.Load(), l.c.readsFailed.Load(),
	}
}

// pods returns the running pods of the catalog with the label name.
func pods(ctx context.Context, c *nodecluster.Cluster, name string) ([]corev1.Pod, error) {
	list, err := c.Clientset("admin").CoreV1().Pods(catalogNamespace).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/name=" + name,
	})
	if err != nil {
		return nil, err
	}
	var running []corev1.Pod
	for _, p := range list.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && len(p.Status.ContainerStatuses) > 0 {
			running = append(running, p)
		}
	}
	if len(running) == 0 {
		return nil, fmt.Errorf("no running %s pod", name)
	}
	return running, nil
}

// sigkill kills the container of p with SIGKILL, as a crash or the OOM killer
// would: no shutdown, no goodbye to clients.
func sigkill(ctx context.Context, c *nodecluster.Cluster, p corev1.Pod) (string, error) {
	id := strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "containerd://")
	if out, err := c.Ctr(ctx, "tasks", "kill", "--signal", "SIGKILL", id); err != nil {
		return "", fmt.Errorf("killing %s: %w: %s", p.Name, err, out)
	}
	return p.Name, nil
}

func killAPIServer(ctx context.Context, c *nodecluster.Cluster, _ *load) (string, error) {
	list, err := pods(ctx, c, "catalog-apiserver")
	if err != nil {
		return "", err
	}
	return sigkill(ctx, c, list[0])
}

// killEtcd kills the etcd leader, or a member that is not the leader.
func killEtcd(leader bool) func(context.Context, *nodecluster.Cluster, *load) (string, error) {
	return func(ctx context.Context, c *nodecluster.Cluster, _ *load) (string, error) {
		list, err := pods(ctx, c, "catalog-etcd")
		if err != nil {
			return "", err
		}
		for _, p := range list {
			isLeader, err := etcdLeads(ctx, p)
			if err != nil {
				return "", err
			}
			if isLeader == leader {
				return sigkill(ctx, c, p)
			}
		}
		return "", fmt.Errorf("no etcd member with leader=%t among %d", leader, len(list))
	}
}

// etcdLeads reads whether the member p leads from its metrics.
func etcdLeads(ctx context.Context, p corev1.Pod) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.Status.PodIP+":2381/metrics", nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "etcd_server_is_leader "); ok {
			return strings.TrimSpace(v) == "1", nil
		}
	}
	return false, errors.New(p.Name + " reports no etcd_server_is_leader")
}

// killControllerManager kills the leading controller manager and measures the
// fail-over into r: until the Lease has a new holder, and until an instance
// created right after the kill is Ready.
func killControllerManager(r *report) func(context.Context, *nodecluster.Cluster, *load) (string, error) {
	return func(ctx context.Context, c *nodecluster.Cluster, l *load) (string, error) {
		leases := c.Clientset("admin").CoordinationV1().Leases(catalogNamespace)
		lease, err := leases.Get(ctx, "catalog-controller-manager", metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("the controller managers' Lease: %w", err)
		}
		if lease.Spec.HolderIdentity == nil || lease.Spec.LeaseDurationSeconds == nil {
			return "", errors.New("the controller managers' Lease has no holder")
		}
		holder := *lease.Spec.HolderIdentity
		list, err := pods(ctx, c, "catalog-controller-manager")
		if err != nil {
			return "", err
		}
		for _, p := range list {
			if strings.HasPrefix(holder, p.Name+"_") {
				killed, err := sigkill(ctx, c, p)
				if err != nil {
					return "", err
				}
				start := time.Now()
				if r.Failover, err = measureFailover(ctx, l, holder, leases, start); err != nil {
					return "", err
				}
				r.LeaseDurationSeconds = float64(*lease.Spec.LeaseDurationSeconds)
				return killed, nil
			}
		}
		return "", fmt.Errorf("no running pod holds the Lease (%s)", holder)
	}
}

// measureFailover creates an instance at start and waits for a new Lease
// holder, for its first change to an instance, and for the instance to be
// Ready.
func measureFailover(ctx context.Context, l *load, old string, leases coordinationv1.LeaseInterface, start time.Time) (failover, error) {
	probe := newInstance("failover-probe", false)
	if _, err := l.instances.Create(ctx, probe, metav1.CreateOptions{}); err != nil {
		return failover{}, err
	}
	var f failover
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		if f.LeaseMovedSeconds == 0 {
			lease, err := leases.Get(ctx, "catalog-controller-manager", metav1.GetOptions{})
			if err == nil && lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != "" && *lease.Spec.HolderIdentity != old {
				f.LeaseMovedSeconds = time.Since(start).Seconds()
			}
		}
		if f.LeaseMovedSeconds > 0 && f.ResumedSeconds == 0 && l.lastModified.Load() > start.Add(time.Duration(f.LeaseMovedSeconds*float64(time.Second))).UnixNano() {
			f.ResumedSeconds = time.Since(start).Seconds()
		}
		if f.ProbeReadySeconds == 0 {
			inst, err := l.instances.Get(ctx, probe.Name, metav1.GetOptions{})
			if err == nil && meta.IsStatusConditionTrue(inst.Status.Conditions, "Ready") {
				f.ProbeReadySeconds = time.Since(start).Seconds()
			}
		}
		return f.LeaseMovedSeconds > 0 && f.ResumedSeconds > 0 && f.ProbeReadySeconds > 0, nil
	})
	return f, err
}

// rollingRestart restarts both Deployments the way an upgrade does, and
// waits until the rollout ended.
func rollingRestart(ctx context.Context, c *nodecluster.Cluster, _ *load) (string, error) {
	if _, err := c.Kubectl(ctx, "", "rollout", "restart", "-n", catalogNamespace,
		"deployment/catalog-apiserver", "deployment/catalog-controller-manager"); err != nil {
		return "", err
	}
	return "every replica, one by one", c.RolledOut(ctx)
}
