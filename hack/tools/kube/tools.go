//go:build tools

// Package tools records the Kubernetes commands that hack/build-kube-binaries.sh
// builds (kube-scheduler, kubelet and kube-proxy with --node), so that `go mod tidy` in this
// module keeps everything they need in go.mod and go.sum. The build tag keeps
// the file out of every real build.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
