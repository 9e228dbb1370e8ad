// Command local-up runs the whole service catalog on this machine, for a demo
// and for trying changes by hand: etcd, kube-apiserver and
// kube-controller-manager (test/framework/kubecluster), the catalog's API
// server behind an APIService, the test broker with its demo catalog on
// 127.0.0.1:18090, and the controller manager once the repository has one
// (test/framework/catalogstack). It writes a kubeconfig with the contexts
// admin and alice, applies artifacts/examples, prints commands to try, and
// stops everything it started on Ctrl-C (SIGINT) or SIGTERM.
//
// hack/local-up.sh (make run) builds the pinned Kubernetes binaries first and
// runs this program from the repository root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// The namespace where alice holds the built-in edit role.
const aliceNamespace = "team-a"

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("local-up: ")
	if err := run(); err != nil {
		log.Printf("%v", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := kubecluster.RepoRoot()
	if err != nil {
		return err
	}
	dir := flag.String("dir", filepath.Join(root, "_output", "local"),
		"directory for the kubeconfig, logs and data (run/ below it is recreated at every start)")
	binDir := flag.String("bin-dir", filepath.Join(root, "_output", "bin"), "where the catalog's binaries are built")
	brokerPort := flag.Int("broker-port", 18090, "port of the test broker on 127.0.0.1 (artifacts/examples/broker.yaml uses 18090)")
	examples := flag.Bool("examples", true, "apply artifacts/examples (broker, instance, binding)")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if *dir, err = filepath.Abs(*dir); err != nil { // the printed commands work from anywhere
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	s, err := catalogstack.StartStack(ctx, catalogstack.Options{
		ClusterOptions: kubecluster.Options{Dir: filepath.Join(*dir, "run")},
		BinDir:         *binDir,
		TestBrokerPort: *brokerPort,
		Logf:           log.Printf,
	})
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted during start-up; everything started was stopped")
		}
		return err
	}
	defer func() {
		log.Printf("stopping (Ctrl-C again kills everything at once)")
		stop() // a second Ctrl-C ends this program; the kernel then kills the children
		if err := s.Stop(); err != nil {
			log.Printf("stopping: %v", err)
		}
		log.Printf("stopped")
	}()

	kubeconfig := filepath.Join(*dir, "kubeconfig")
	if err := writeKubeconfig(s.Cluster.KubeconfigFile, kubeconfig, "admin", "alice"); err != nil {
		return err
	}
	if err := setUp(ctx, s, root, *examples); err != nil {
		return err
	}
	printUsage(os.Stdout, s, root, kubeconfig, time.Since(start), *examples)
	<-ctx.Done()
	return nil
}

// writeKubeconfig writes to path the contexts of the cluster's combined
// kubeconfig that are named in contexts, the first one current.
func writeKubeconfig(from, path string, contexts ...string) error {
	all, err := clientcmd.LoadFromFile(from)
	if err != nil {
		return err
	}
	out := all.DeepCopy()
	out.Contexts, out.AuthInfos = map[string]*clientcmdapi.Context{}, map[string]*clientcmdapi.AuthInfo{}
	for _, name := range contexts {
		c, ok := all.Contexts[name]
		if !ok {
			return fmt.Errorf("%s has no context %q", from, name)
		}
		out.Contexts[name] = c
		out.AuthInfos[c.AuthInfo] = all.AuthInfos[c.AuthInfo]
	}
	out.CurrentContext = contexts[0]
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return clientcmd.WriteToFile(*out, path)
}

// setUp gives alice the edit role in her namespace and applies the examples:
// the broker first, then the instance and the binding in namespace default.
func setUp(ctx context.Context, s *catalogstack.Stack, root string, examples bool) error {
	rbac := fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %[1]s
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-edit
  namespace: %[1]s
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: edit
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: alice
`, aliceNamespace)
	if _, err := s.KubectlWithInput(ctx, "admin", strings.NewReader(rbac), "apply", "-f", "-"); err != nil {
		return err
	}
	if !examples {
		return nil
	}
	for _, f := range []string{"broker.yaml", "instance.yaml", "binding.yaml"} {
		out, err := s.Kubectl(ctx, "admin", "apply", "-n", "default", "-f", filepath.Join(root, "artifacts", "examples", f))
		if err != nil {
			return err
		}
		log.Printf("%s", strings.TrimSpace(out))
	}
	return nil
}

// printUsage prints how to reach the stack, with commands that work when
// pasted into a shell anywhere.
func printUsage(w io.Writer, s *catalogstack.Stack, root, kubeconfig string, took time.Duration, examples bool) {
	kubectl, err := kubecluster.FindKubectl()
	pathLine := ""
	if err == nil {
		if onPath, lookErr := exec.LookPath("kubectl"); lookErr != nil || onPath != kubectl {
			pathLine = fmt.Sprintf("  export PATH=%s:$PATH   # kubectl %s (the kubectl on PATH is missing or too old)\n",
				filepath.Dir(kubectl), kubecluster.KubeVersion)
		}
	}
	ex := filepath.Join(root, "artifacts", "examples")
	controller := s.Has(catalogstack.ControllerManager)

	fmt.Fprintf(w, "\nThe service catalog is up (%s). In another shell:\n\n", took.Round(100*time.Millisecond))
	fmt.Fprintf(w, "  export KUBECONFIG=%s   # contexts: admin (current), alice\n", kubeconfig)
	fmt.Fprint(w, pathLine)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  kubectl api-resources --api-group=servicecatalog.k8s.io")
	fmt.Fprintln(w, "  kubectl get csb,csc,csp,si,sb")
	if examples {
		fmt.Fprintln(w, "  kubectl describe si demo-db")
		if controller {
			fmt.Fprintln(w, "  kubectl wait --for=condition=Ready si/demo-db sb/demo-db-credentials")
			fmt.Fprintln(w, "  kubectl get secret demo-db-credentials -o yaml")
		}
	}
	fmt.Fprintln(w, "  kubectl explain serviceinstance.spec")
	fmt.Fprintln(w, "  kubectl --context alice get csc,csp                    # every user may read the catalog")
	fmt.Fprintf(w, "  kubectl --context alice -n %s apply -f %s/instance.yaml\n", aliceNamespace, ex)
	fmt.Fprintf(w, "  kubectl --context alice -n %s get si\n", aliceNamespace)
	fmt.Fprintln(w, "  kubectl --context alice -n default get si              # Forbidden: alice edits only in "+aliceNamespace)
	fmt.Fprintln(w, "  kubectl --context alice create -f "+filepath.Join(ex, "broker.yaml")+"   # Forbidden: brokers are for admins")
	fmt.Fprintf(w, "  curl -s -H 'X-Broker-API-Version: 2.17' %s/v2/catalog   # the test broker\n", s.BrokerURL)
	fmt.Fprintln(w)
	if !controller {
		fmt.Fprintln(w, "There is no cmd/controller-manager yet: nothing fetches the broker's catalog or")
		fmt.Fprintln(w, "provisions, so there are no classes or plans and instances stay Pending. Deleting")
		fmt.Fprintln(w, "an instance or binding leaves it Terminating on its finalizer; remove it with")
		fmt.Fprintln(w, "  kubectl patch si demo-db --type=merge -p '{\"metadata\":{\"finalizers\":null}}'")
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Logs: %s\n", filepath.Join(s.Dir, "logs"))
	fmt.Fprintln(w, "Ctrl-C stops everything.")
}
