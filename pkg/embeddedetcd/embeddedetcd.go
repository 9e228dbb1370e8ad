// Package embeddedetcd runs a single-member etcd inside the API server's process, so that
// the catalog needs nothing else to store its objects. Data lives in a directory and
// survives restarts.
package embeddedetcd

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Options configure the embedded etcd.
type Options struct {
	// DataDir holds etcd's data. It is created when missing.
	DataDir string
	// UnsafeNoFsync skips fsync; data may be lost on a crash. For tests only.
	UnsafeNoFsync bool
	// QuotaBackendBytes is the size etcd's file may reach before etcd refuses
	// writes (an alarm that needs compaction, defragmentation and a disarm to
	// clear). Zero keeps etcd's default, 2 GiB.
	QuotaBackendBytes int64
	// Logger receives etcd's logs. When nil, warnings and errors go to stderr.
	Logger *zap.Logger
	// StartTimeout bounds the wait for etcd to serve.
	StartTimeout time.Duration
}

// Server is a running embedded etcd.
type Server struct {
	etcd *embed.Etcd
	// ClientURL is the URL clients reach etcd at, on the loopback interface.
	ClientURL string
}

// Start runs etcd on free loopback ports and waits until it serves.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, fmt.Errorf("embedded etcd needs a data directory")
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the etcd data directory: %w", err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))}

	cfg := embed.NewConfig()
	cfg.Name = "catalog"
	cfg.Dir = opts.DataDir
	cfg.UnsafeNoFsync = opts.UnsafeNoFsync
	cfg.QuotaBackendBytes = opts.QuotaBackendBytes
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// Compact history older than an hour; the API server also compacts on its own schedule.
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "1h"
	logger := opts.Logger
	if logger == nil {
		logger, err = zap.NewProduction(zap.IncreaseLevel(zapcore.WarnLevel))
		if err != nil {
			return nil, err
		}
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger.Named("etcd"))

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("starting embedded etcd in %s: %w", opts.DataDir, err)
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = time.Minute
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd failed: %w", err)
	case <-time.After(timeout):
		e.Close()
		return nil, fmt.Errorf("embedded etcd did not become ready within %s", timeout)
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	return &Server{etcd: e, ClientURL: clientURL.String()}, nil
}

// Stop shuts etcd down and waits for it.
func (s *Server) Stop() {
	s.etcd.Close()
}

// freePorts returns loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer func() { _ = l.Close() }() // a probe: nothing was served on it
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
