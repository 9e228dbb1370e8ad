package embeddedetcd

import (
	"context"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestQuotaBackendBytes checks that the quota given is the one etcd enforces:
// writes past it are refused with etcd's "database space exceeded".
func TestQuotaBackendBytes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const quota = 4 << 20
	s, err := Start(ctx, Options{DataDir: t.TempDir(), UnsafeNoFsync: true, QuotaBackendBytes: quota})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{s.ClientURL}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Close() }()

	value := strings.Repeat("x", 256<<10)
	for range 4 * quota / len(value) {
		_, err = client.Put(ctx, "/key", value)
		if err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "database space exceeded") {
		t.Fatalf("writing %d MiB of history into a %d MiB quota: %v, want database space exceeded", 4*quota>>20, quota>>20, err)
	}
}
