package node

import (
	"testing"
)

func TestShippedManifestsOnARealNode(t *testing.T) {
	c := startCluster(t)
	must(t, c.CreateEtcdVolumes(t.Context(), 1))
	must(t, c.Install(t.Context(), "artifacts/deploy"))
	provisionAndBind(t, c, "demo-db")

	// An upgrade rolls both Deployments: the data stays, and the catalog goes on.
	kubectl(t, c, "", "rollout", "restart", "-n", "service-catalog", "deployment/catalog-apiserver", "deployment/catalog-controller-manager")
	must(t, c.RolledOut(t.Context()))
	ready(t, c, "serviceinstance/demo-db", "servicebinding/demo-db-credentials")
	t.Log("both Deployments restarted; instance and binding still Ready")

	unbindAndDeprovision(t, c, "demo-db")
}

func TestHighlyAvailableManifestsOnARealNode(t *testing.T) {
	c := startCluster(t)
	must(t, c.CreateEtcdVolumes(t.Context(), 3))
	// etcd's TLS Secrets, made with the commands docs/operations.md gives.
	kubectl(t, c, "", "create", "namespace", "service-catalog")
	must(t, c.RunDocumented(t.Context(), "docs/operations.md", "## Highly available"))
	must(t, c.Install(t.Context(), "artifacts/deploy/ha"))
	provisionAndBind(t, c, "demo-db")

	// One etcd member and one API server replica gone: the catalog serves on.
	apiserver := kubectl(t, c, "", "get", "pod", "-n", "service-catalog", "-l", "app.kubernetes.io/name=catalog-apiserver", "-o", "jsonpath={.items[0].metadata.name}")
	kubectl(t, c, "", "delete", "pod", "-n", "service-catalog", "catalog-etcd-1", apiserver, "--wait=false")
	provisionAndBind(t, c, "second-db")
	must(t, c.RolledOut(t.Context()))
	ready(t, c, "serviceinstance/demo-db", "servicebinding/demo-db-credentials")
	t.Log("an etcd member and an API server replica replaced; every object still Ready")

	unbindAndDeprovision(t, c, "demo-db")
	unbindAndDeprovision(t, c, "second-db")
}
