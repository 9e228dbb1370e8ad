# The service catalog: an aggregated API server for servicecatalog.k8s.io and the
# controllers of an Open Service Broker platform.
#
#   make run      bring the catalog up locally and print what to type next
#   make test     every test tier: unit, integration, end-to-end, the short soak, the
#                 image under podman, and the manifests on this machine as a node
#   make verify   generated code, go.mod, formatting, vet and lint are clean
#   make lint     golangci-lint with .golangci.yml (built once into _output/bin)
#   make update   regenerate code and tidy go.mod
#   make build    build the binaries into _output/bin
#   make bench    benchmarks that print figures (not part of make test)
#   make bench-alloc  time, bytes and allocations per write request through the API
#                 server's handler chain (BENCHTIME=1000x BENCHCOUNT=5 make bench-alloc)
#   make bench-ha the highly available catalog under load while its parts are killed (root)
#   make soak     the catalog under load and faults, checked against its brokers
#                 (make test runs a short version, test-soak)
#   make fuzz     every fuzz target for FUZZTIME each (default 10m; FUZZTIME=30s make fuzz)
#   make test-node  the shipped manifests on this machine as a real node (root)
#   make image    the container image, built without Docker, under _output/image
#   make release  _output/release/catalog.yaml: the deploy manifests, the image pinned by digest

SHELL := /usr/bin/env bash -o errexit -o pipefail -o nounset
GO ?= go
BIN_DIR := _output/bin
COMMANDS := apiserver controller-manager test-broker kubectl-catalog kubectl_complete-catalog
# Unit tests run with the race detector; a tier's timeout bounds a hung test.
UNIT_PACKAGES = $$($(GO) list ./pkg/... ./cmd/... ./hack/... | grep -v /pkg/generated/)

.PHONY: all build test test-unit test-integration test-e2e test-soak test-image test-node image release container-runtime bench-ha verify lint update run kube-binaries bench bench-alloc soak fuzz clean

all: build

build:
	@mkdir -p $(BIN_DIR)
	$(GO) build -o $(BIN_DIR)/ $(addprefix ./cmd/,$(COMMANDS))

test: test-unit test-integration test-e2e test-soak test-image test-node

test-unit:
	$(GO) test -race -timeout 10m $(UNIT_PACKAGES)

# The controller tests run a real kube-apiserver, built by kube-binaries.
test-integration: kube-binaries
	$(GO) test -timeout 20m ./test/integration/...

test-e2e: kube-binaries
	$(GO) test -timeout 30m ./test/framework/... ./test/e2e/...

# The short soak (TestSoakShort, about two minutes): the same faults and kills
# as make soak, with a few dozen objects.
test-soak: kube-binaries
	$(GO) test -timeout 20m ./test/soak/...

# The image under podman and runc (installed from Debian if missing): each
# command's --help with the deploy manifests' restrictions.
test-image: image container-runtime
	$(GO) test -count=1 -timeout 10m ./test/image/...

# This machine as a real node of a cluster (kubelet, kube-proxy, containerd,
# runc, CNI bridge) running the shipped manifests; needs root.
test-node: image
	hack/test-node.sh

kube-binaries:
	hack/build-kube-binaries.sh

image:
	hack/build-image.sh

release:
	hack/release.sh

container-runtime:
	hack/install-container-runtime.sh

verify:
	hack/verify-codegen.sh
	hack/verify-gomod.sh
	hack/verify-gofmt.sh
	$(GO) vet ./...
	hack/verify-lint.sh

lint:
	hack/verify-lint.sh

update:
	hack/update-codegen.sh
	$(GO) mod tidy

run: build
	hack/local-up.sh

bench: kube-binaries
	hack/bench.sh

# BenchmarkWrites: creates, updates, status updates, patches and applies of instances and
# binding creates, served in process by the real handler chain on real etcd; no Kubernetes
# binaries needed. BENCHTIME and BENCHCOUNT are go test's -benchtime and -count.
BENCHTIME ?= 300x
BENCHCOUNT ?= 1
bench-alloc:
	$(GO) test -run '^$$' -bench Writes -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./test/integration/apiserver/

soak: kube-binaries
	hack/soak.sh

# The highly available catalog on this machine as a node, SIGKILLed piece by
# piece under load; prints figures (root).
bench-ha: image
	hack/bench-ha.sh

# One target after another; per target the inputs tried and any crash, whose input is
# left under the package's testdata/fuzz/ (see hack/fuzz.sh for FUZZ, FUZZPARALLEL, ...).
fuzz:
	hack/fuzz.sh

clean:
	rm -rf _output
