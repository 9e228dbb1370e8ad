package kubecluster

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeKubectl writes a script that reports the given client minor version.
func fakeKubectl(t *testing.T, minor string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubectl")
	script := "#!/bin/sh\necho '{\"clientVersion\":{\"major\":\"1\",\"minor\":\"" + minor + "\"}}'\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKubectlSkew(t *testing.T) {
	for minor, ok := range map[string]bool{"32+": false, "34": false, "35": true, "36": true, "37+": true, "38": false} {
		err := checkKubectlVersion(fakeKubectl(t, minor))
		if (err == nil) != ok {
			t.Errorf("kubectl 1.%s: %v, want compatible=%v", minor, err, ok)
		}
	}
}

// TestFindKubectlPrefersPathWithinSkew puts a compatible kubectl first on
// PATH and then an incompatible one.
func TestFindKubectlPrefersPathWithinSkew(t *testing.T) {
	good := fakeKubectl(t, "37")
	t.Setenv("PATH", filepath.Dir(good))
	if got, err := FindKubectl(); err != nil || got != good {
		t.Errorf("FindKubectl() = %q, %v; want %q", got, err, good)
	}

	old := fakeKubectl(t, "32+")
	bin := t.TempDir()
	pinned := filepath.Join(bin, "kubectl")
	if err := os.WriteFile(pinned, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Dir(old))
	t.Setenv(EnvKubeBinDir, bin)
	if got, err := FindKubectl(); err != nil || got != pinned {
		t.Errorf("FindKubectl() = %q, %v; want the pinned %q", got, err, pinned)
	}
}
