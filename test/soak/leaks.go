package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// secretPrefix is how many leading bytes of a secret the scan indexes; every
// secret value is at least this long.
const secretPrefix = 16

// maxHitSamples bounds the hits kept with their place, per kind of secret.
const maxHitSamples = 20

// secrets are the secret values of a run, by value, with what each one is
// ("broker password", "binding credential password", ...).
type secrets map[string]string

// add records a secret value of kind what; values shorter than the scan's
// prefix cannot be searched for and are reported with an error.
func (s secrets) add(what, value string) error {
	if len(value) < secretPrefix {
		return fmt.Errorf("a %s of %d characters is too short to search for", what, len(value))
	}
	s[value] = what
	return nil
}

// hit is one place where a secret value was found.
type hit struct {
	// Where is the haystack: a log file and line, an event, an object, an
	// etcd key.
	Where string `json:"where"`
	// What is the kind of secret found.
	What string `json:"what"`
	// Value shows the value's first characters only.
	Value string `json:"value"`
}

// leakScan searches haystacks for the secret values.
type leakScan struct {
	secrets secrets
	index   map[string][]string // first secretPrefix bytes -> values
	first   [256]bool           // the first bytes of the values
	// Hits counts the hits by haystack kind (logs, events, objects, ...).
	Hits map[string]int `json:"hits"`
	// Searched counts the haystacks searched and their bytes, by kind.
	Searched map[string]int   `json:"searched"`
	Bytes    map[string]int64 `json:"bytes"`
	// Secrets counts the values searched for, by what they are.
	Secrets map[string]int `json:"secrets"`
	// Samples are some hits with their place.
	Samples []hit `json:"samples,omitempty"`
	// HarnessLines counts the log lines skipped: the line the test harness
	// writes before each start of a process, with its command line (the
	// soak passes the test brokers their credentials as flags).
	HarnessLines int `json:"harnessLines"`
}

// newLeakScan indexes the secret values.
func newLeakScan(s secrets) *leakScan {
	l := &leakScan{secrets: s, index: map[string][]string{}, Hits: map[string]int{},
		Searched: map[string]int{}, Bytes: map[string]int64{}, Secrets: map[string]int{}}
	for v, what := range s {
		p := v[:secretPrefix]
		l.index[p] = append(l.index[p], v)
		l.first[v[0]] = true
		l.Secrets[what]++
	}
	return l
}

// total is the number of hits.
func (l *leakScan) total() int {
	n := 0
	for _, h := range l.Hits {
		n += h
	}
	return n
}

// scan searches data, a haystack of kind found at where.
func (l *leakScan) scan(kind, where string, data []byte) {
	l.Searched[kind]++
	l.find(kind, where, 0, data)
}

// find searches data, line line of where (0: where is the whole haystack),
// counting each secret value at most once.
func (l *leakScan) find(kind, where string, line int, data []byte) {
	l.Bytes[kind] += int64(len(data))
	var seen map[string]bool
	for i := 0; i+secretPrefix <= len(data); i++ {
		if !l.first[data[i]] {
			continue
		}
		for _, v := range l.index[string(data[i:i+secretPrefix])] {
			if seen[v] || !bytes.HasPrefix(data[i:], []byte(v)) {
				continue
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[v] = true
			l.Hits[kind]++
			if len(l.Samples) < maxHitSamples {
				at := where + lineOf(data, i)
				if line > 0 {
					at = fmt.Sprintf("%s:%d", where, line)
				}
				l.Samples = append(l.Samples, hit{Where: at, What: l.secrets[v], Value: v[:4] + "…"})
			}
		}
	}
}

// lineOf names the line of offset i in data, for text with several lines.
func lineOf(data []byte, i int) string {
	n := bytes.Count(data[:i], []byte("\n"))
	if n == 0 && !bytes.Contains(data[i:], []byte("\n")) {
		return ""
	}
	return fmt.Sprintf(":%d", n+1)
}

// scanLogs searches every *.log file under dir, line by line.
func (l *leakScan) scanLogs(dir string) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".log") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		if err := l.scanFile(f, strings.TrimPrefix(f, dir+string(filepath.Separator))); err != nil {
			return err
		}
	}
	return nil
}

// scanFile searches one log file line by line.
func (l *leakScan) scanFile(path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	r := bufio.NewReaderSize(f, 1<<20)
	l.Searched["logs"]++
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		switch {
		case harnessLine(line):
			l.HarnessLines++
		case len(line) > 0:
			l.find("logs", name, n, bytes.TrimRight(line, "\n"))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// harnessLine reports the line kubecluster writes to a log before it starts
// a process: "=== <time> starting <binary> <flags>".
func harnessLine(line []byte) bool {
	return bytes.HasPrefix(line, []byte("=== ")) && bytes.Contains(line, []byte(" starting "))
}
