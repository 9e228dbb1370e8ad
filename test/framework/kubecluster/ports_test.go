package kubecluster

import (
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPortClashRetry hands etcd and kube-apiserver a port that is already
// taken on their first attempt and checks that both start on the second. It
// uses StartCluster, the variant for programs, and checks that Stop removes
// the temporary run directory it created and leaves no process behind.
func TestPortClashRetry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster; runs in the e2e tier")
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	busy := taken.Addr().(*net.TCPAddr).Port

	calls := map[int]int{} // by number of ports: 2 for etcd, 1 for kube-apiserver
	pickPorts = func(n int) ([]int, error) {
		calls[n]++
		ports, err := freePorts(n)
		if err == nil && calls[n] == 1 {
			ports[0] = busy
		}
		return ports, err
	}
	t.Cleanup(func() { pickPorts = freePorts })

	c, err := StartCluster(t.Context(), Options{DisableControllerManager: true, Components: []string{}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		procs := c.Processes()
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
		for _, p := range procs {
			if err := syscall.Kill(p.PID, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("%s (pid %d) still exists: %v", p.Name, p.PID, err)
			}
		}
		if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
			t.Errorf("run dir %s not removed: %v", c.Dir, err)
		}
	}()
	if calls[1] != 2 || calls[2] != 2 {
		t.Errorf("picked ports %v times, want two attempts each for etcd (2 ports) and kube-apiserver (1)", calls)
	}
	for _, p := range c.Processes() {
		b, err := os.ReadFile(p.LogFile)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "=== "); n != 2 {
			t.Errorf("%s started %d times, want 2", p.Name, n)
		}
	}
	if _, err := c.Clientset("admin").CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{}); err != nil {
		t.Error(err)
	}
}
