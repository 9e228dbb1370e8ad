//go:build unix

package kubecluster_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// TestStartChild starts a shell as a child, checks its log and that Stop ends
// it, and that a child that exits on its own is reported by Stop.
func TestStartChild(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "child.log")
	c, err := kubecluster.StartChild("sleeper", log, dir, "/bin/sh", "-c", "echo started; exec sleep 60")
	if err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(t.Context(), 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return strings.Contains(kubecluster.TailFile(log, 5), "started"), nil
	})
	if err != nil {
		t.Fatalf("no output in %s: %v: %s", log, err, kubecluster.TailFile(log, 5))
	}
	if c.Exited() || c.PortClash() || c.Process().PID == 0 || c.Process().Name != "sleeper" {
		t.Errorf("unexpected state: exited=%v clash=%v process=%+v", c.Exited(), c.PortClash(), c.Process())
	}
	if err := c.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if !c.Exited() {
		t.Error("still running after Stop")
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}

	quick, err := kubecluster.StartChild("quick", log, dir, "/bin/sh", "-c", "echo bind: address already in use; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	<-quick.Done()
	if !quick.PortClash() || !strings.Contains(quick.ExitError().Error(), "exit status 3") {
		t.Errorf("PortClash()=%v ExitError()=%v", quick.PortClash(), quick.ExitError())
	}
	if err := quick.Stop(); err == nil {
		t.Error("Stop of a child that had exited on its own reported nothing")
	}
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "=== ") {
		t.Errorf("the log has no start line:\n%s", b)
	}
}
