package catalogcmd_test

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kube-service-catalog/catalog/pkg/cli/catalogcmd"
)

// The plugin takes kubectl's flags, and prints its help as "kubectl catalog".
func TestNewCommandHasKubectlFlags(t *testing.T) {
	var out bytes.Buffer
	cmd := catalogcmd.NewCommand(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out})
	for _, flag := range []string{"namespace", "context", "kubeconfig", "as", "as-group", "cluster", "user", "server", "token", "request-timeout"} {
		if cmd.PersistentFlags().Lookup(flag) == nil {
			t.Errorf("no --%s", flag)
		}
	}
	if f := cmd.PersistentFlags().ShorthandLookup("n"); f == nil || f.Name != "namespace" {
		t.Errorf("-n is %v, want --namespace", f)
	}
	if code := catalogcmd.Run(cmd, []string{"--help"}, &out); code != 0 || !strings.Contains(out.String(), "kubectl catalog [command]") {
		t.Errorf("--help: exit %d:\n%s", code, out.String())
	}
}

// completion bash|zsh|fish prints the shell's script.
func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{"bash": "# bash completion V2 for kubectl-catalog", "zsh": "#compdef kubectl-catalog", "fish": "# fish completion for kubectl-catalog"} {
		var out bytes.Buffer
		cmd := catalogcmd.NewCommand(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out})
		if code := catalogcmd.Run(cmd, []string{"completion", shell}, &out); code != 0 || !strings.HasPrefix(out.String(), want) {
			t.Errorf("completion %s: exit %d, want a script starting %q:\n%.200s", shell, code, want, out.String())
		}
	}
}
