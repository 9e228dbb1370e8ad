package nodecluster

import "context"

// testBrokerManifest runs the test broker from the catalog's image as a pod
// behind the Service brokers/test-broker, as a broker runs in a cluster.
const testBrokerManifest = `apiVersion: v1
kind: Namespace
metadata:
  name: brokers
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: test-broker
  namespace: brokers
spec:
  selector:
    matchLabels: {app: test-broker}
  template:
    metadata:
      labels: {app: test-broker}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
      - name: broker
        image: ghcr.io/kube-service-catalog/catalog:latest
        imagePullPolicy: Never
        command: [test-broker, --address=0.0.0.0, --port=8080]
        ports:
        - containerPort: 8080
        readinessProbe:
          tcpSocket: {port: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: test-broker
  namespace: brokers
spec:
  selector: {app: test-broker}
  ports:
  - port: 8080
---
apiVersion: servicecatalog.k8s.io/v1beta1
kind: ClusterServiceBroker
metadata:
  name: demo-broker
spec:
  url: http://test-broker.brokers.svc.cluster.local:8080
`

// RegisterTestBroker runs the test broker with its demo catalog as a pod,
// registers it as the ClusterServiceBroker demo-broker, and waits until its
// catalog is published. Running it again changes nothing.
func (c *Cluster) RegisterTestBroker(ctx context.Context) error {
	if _, err := c.Kubectl(ctx, testBrokerManifest, "apply", "-f", "-"); err != nil {
		return err
	}
	_, err := c.Kubectl(ctx, "", "wait", "--for=condition=Ready", "--timeout=3m", "clusterservicebroker/demo-broker")
	return err
}
