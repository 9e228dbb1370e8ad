package kubecluster

import (
	"path/filepath"
	"slices"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfigClusterName is the cluster entry in every kubeconfig written.
const kubeconfigClusterName = "kubecluster"

// writeKubeconfigs writes <name>.kubeconfig for every user and component, the
// combined Dir/kubeconfig, and kube-controller-manager.kubeconfig. Certificates
// are embedded, so the files stand alone.
func (c *Cluster) writeKubeconfigs() error {
	combined := c.newKubeconfig()
	for _, name := range c.userOrder {
		cr := c.users[name]
		one := c.newKubeconfig()
		addUser(one, name, cr.cert)
		one.CurrentContext = name
		if err := clientcmd.WriteToFile(*one, cr.kubeconfig); err != nil {
			return err
		}
		addUser(combined, name, cr.cert)
	}
	combined.CurrentContext = c.userOrder[0]
	if _, ok := c.users["admin"]; ok {
		combined.CurrentContext = "admin"
	}
	c.KubeconfigFile = filepath.Join(c.Dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*combined, c.KubeconfigFile); err != nil {
		return err
	}

	kcm := c.newKubeconfig()
	addUser(kcm, "kube-controller-manager", c.controllerManager)
	kcm.CurrentContext = "kube-controller-manager"
	return clientcmd.WriteToFile(*kcm, filepath.Join(c.Dir, "kube-controller-manager.kubeconfig"))
}

// newKubeconfig returns a kubeconfig with the cluster entry only.
func (c *Cluster) newKubeconfig() *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[kubeconfigClusterName] = &clientcmdapi.Cluster{
		Server:                   c.Host,
		CertificateAuthorityData: slices.Clone(c.caPEM),
	}
	return cfg
}

// addUser adds a user entry and a context of the same name.
func addUser(cfg *clientcmdapi.Config, name string, ck *certKey) {
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{
		ClientCertificateData: slices.Clone(ck.certPEM),
		ClientKeyData:         slices.Clone(ck.keyPEM),
	}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: kubeconfigClusterName, AuthInfo: name}
}
