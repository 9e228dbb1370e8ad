//go:build tools

// Package tools records the containerd commands that hack/build-kube-binaries.sh
// --node builds for the real-node tests (test/node), so that `go mod tidy` in this
// module keeps everything they need in go.mod and go.sum. The build tag keeps the
// file out of every real build.
package tools

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
)
