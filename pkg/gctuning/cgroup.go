package gctuning

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// unlimitedV1 is the least memory.limit_in_bytes taken for no limit: cgroup v1 writes
// "no limit" as the largest multiple of the page size below 2^63.
const unlimitedV1 = 1 << 62

// cgroupHierarchy says where one cgroup version keeps memory limits.
type cgroupHierarchy struct {
	// mount is where the hierarchy is mounted, under /sys/fs/cgroup.
	mount string
	// file holds a cgroup's memory limit.
	file string
	// parse reads the file's value; ok is false for no limit.
	parse func(string) (int64, bool)
}

var (
	cgroupV2 = cgroupHierarchy{mount: "sys/fs/cgroup", file: "memory.max", parse: parseV2}
	cgroupV1 = cgroupHierarchy{mount: "sys/fs/cgroup/memory", file: "memory.limit_in_bytes", parse: parseV1}
)

// cgroupMemoryLimit returns the memory limit of the process's cgroup under root, in
// cgroup v2 or else v1, and the file it was read from.
func cgroupMemoryLimit(root string) (limit int64, source string, ok bool) {
	v2Path, v1Path, found := cgroupPaths(filepath.Join(root, "proc/self/cgroup"))
	if !found {
		return 0, "", false
	}
	if v2Path != "" {
		if limit, source, ok := cgroupV2.limit(root, v2Path); ok {
			return limit, source, true
		}
	}
	if v1Path != "" {
		return cgroupV1.limit(root, v1Path)
	}
	return 0, "", false
}

// cgroupPaths reads the process's cgroup in the v2 hierarchy and in v1's memory
// hierarchy from /proc/self/cgroup ("hierarchy-ID:controllers:path" lines).
func cgroupPaths(procFile string) (v2, v1 string, ok bool) {
	f, err := os.Open(procFile)
	if err != nil {
		return "", "", false
	}
	defer func() { _ = f.Close() }() // read only
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		fields := strings.SplitN(lines.Text(), ":", 3)
		switch {
		case len(fields) != 3:
		case fields[0] == "0" && fields[1] == "":
			v2 = fields[2]
		case slices.Contains(strings.Split(fields[1], ","), "memory"):
			v1 = fields[2]
		}
	}
	return v2, v1, lines.Err() == nil
}

// limit returns the smallest memory limit of the cgroup at cgroupPath and the cgroups
// above it that are visible under the hierarchy's mount: in a container the mount
// usually shows the container's own cgroup at its root, whatever path
// /proc/self/cgroup gives.
func (h cgroupHierarchy) limit(root, cgroupPath string) (limit int64, source string, ok bool) {
	for p := path.Clean("/" + cgroupPath); ; p = path.Dir(p) {
		file := filepath.Join(root, h.mount, p, h.file)
		if data, err := os.ReadFile(file); err == nil {
			if l, limited := h.parse(strings.TrimSpace(string(data))); limited && (!ok || l < limit) {
				limit, source, ok = l, filepath.Join("/", h.mount, p, h.file), true
			}
		}
		if p == "/" {
			return limit, source, ok
		}
	}
}

// parseV2 reads memory.max: a number of bytes, or "max".
func parseV2(value string) (int64, bool) {
	n, err := strconv.ParseInt(value, 10, 64)
	return n, err == nil && n > 0
}

// parseV1 reads memory.limit_in_bytes, where no limit is a huge number.
func parseV1(value string) (int64, bool) {
	n, err := strconv.ParseInt(value, 10, 64)
	return n, err == nil && n > 0 && n < unlimitedV1
}
