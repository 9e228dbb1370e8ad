package main

import (
	"context"

	"github.com/kube-service-catalog/catalog/test/framework/nodecluster"
)

// namespace holds the instances the load creates.
const namespace = "load"

// install installs artifacts/deploy/ha with etcd's TLS Secrets made as
// docs/operations.md says, the test broker, and the load's namespace.
func install(ctx context.Context, c *nodecluster.Cluster) error {
	if _, err := c.Kubectl(ctx, "", "create", "namespace", "service-catalog"); err != nil {
		return err
	}
	if err := c.RunDocumented(ctx, "docs/operations.md", "## Highly available"); err != nil {
		return err
	}
	if err := c.CreateEtcdVolumes(ctx, 3); err != nil {
		return err
	}
	if err := c.Install(ctx, "artifacts/deploy/ha"); err != nil {
		return err
	}
	if err := c.RegisterTestBroker(ctx); err != nil {
		return err
	}
	_, err := c.Kubectl(ctx, "", "create", "namespace", namespace)
	return err
}
