package gctuning

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const mi = 1 << 20

// files lays out a fake root: paths relative to it and their contents.
type files map[string]string

func (fs files) write(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range fs {
		file := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestChoose(t *testing.T) {
	v2Container := files{
		"proc/self/cgroup":           "0::/\n",
		"sys/fs/cgroup/memory.max":   "536870912\n",
		"sys/fs/cgroup/cgroup.procs": "1\n",
	}
	tests := []struct {
		name string
		fs   files
		env  map[string]string
		// runtimeLimit is the limit the runtime has from GOMEMLIMIT; none when 0.
		runtimeLimit int64
		want         Settings
	}{{
		name: "cgroup v2 in a container's cgroup namespace",
		fs:   v2Container,
		want: Settings{MemoryLimit: 483183810, GCPercent: GCPercent, ContainerLimit: 512 * mi, Source: "/sys/fs/cgroup/memory.max"},
	}, {
		name: "cgroup v2 seen from the host: the smallest limit on the way up",
		fs: files{
			"proc/self/cgroup":                                 "0::/kubepods.slice/pod1/ctr\n",
			"sys/fs/cgroup/kubepods.slice/memory.max":          "8589934592\n",
			"sys/fs/cgroup/kubepods.slice/pod1/memory.max":     "268435456\n",
			"sys/fs/cgroup/kubepods.slice/pod1/ctr/memory.max": "max\n",
		},
		want: Settings{MemoryLimit: 241591860, GCPercent: GCPercent, ContainerLimit: 256 * mi, Source: "/sys/fs/cgroup/kubepods.slice/pod1/memory.max"},
	}, {
		name: "cgroup v2 without a limit",
		fs:   files{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "max\n"},
		want: Settings{},
	}, {
		name: "cgroup v1 with the container's cgroup mounted at the root",
		fs: files{
			"proc/self/cgroup":                           "12:cpu,cpuacct:/docker/abc\n11:memory:/docker/abc\n0::/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "1073741824\n",
		},
		want: Settings{MemoryLimit: 966367620, GCPercent: GCPercent, ContainerLimit: 1024 * mi, Source: "/sys/fs/cgroup/memory/memory.limit_in_bytes"},
	}, {
		name: "cgroup v1 without a limit",
		fs: files{
			"proc/self/cgroup":                           "11:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
		},
		want: Settings{},
	}, {
		name: "no cgroup files",
		fs:   files{},
		want: Settings{},
	}, {
		name: "GOGC set: the limit only",
		fs:   v2Container,
		env:  map[string]string{"GOGC": "50"},
		want: Settings{MemoryLimit: 483183810, ContainerLimit: 512 * mi, Source: "/sys/fs/cgroup/memory.max"},
	}, {
		name:         "GOMEMLIMIT set: GOGC only, under the user's limit",
		fs:           v2Container,
		env:          map[string]string{"GOMEMLIMIT": "300MiB"},
		runtimeLimit: 300 * mi,
		want:         Settings{GCPercent: GCPercent},
	}, {
		name: "GOMEMLIMIT=off: nothing, though the container has a limit",
		fs:   v2Container,
		env:  map[string]string{"GOMEMLIMIT": "off"},
		want: Settings{},
	}, {
		name:         "both set: nothing",
		fs:           v2Container,
		env:          map[string]string{"GOMEMLIMIT": "300MiB", "GOGC": "100"},
		runtimeLimit: 300 * mi,
		want:         Settings{},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runtimeLimit := tc.runtimeLimit
			if runtimeLimit == 0 {
				runtimeLimit = math.MaxInt64
			}
			got := Choose(Env{Getenv: func(k string) string { return tc.env[k] }, Root: tc.fs.write(t), RuntimeLimit: runtimeLimit})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Choose (-want +got):\n%s", diff)
			}
		})
	}
}
