package validation

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// testCABundle is PEM-framed; validation checks the framing, not the certificate.
var testCABundle = []byte("-----BEGIN CERTIFICATE-----\nTUlJQmZha2VjZXJ0aWZpY2F0ZQ==\n-----END CERTIFICATE-----\n")

func validBroker(tweaks ...func(*sc.ClusterServiceBroker)) *sc.ClusterServiceBroker {
	b := &sc.ClusterServiceBroker{
		ObjectMeta: metav1.ObjectMeta{Name: "test-broker", ResourceVersion: "1"},
		Spec: sc.ClusterServiceBrokerSpec{
			CommonServiceBrokerSpec: sc.CommonServiceBrokerSpec{
				URL:            "https://broker.example.com",
				RelistBehavior: sc.ServiceBrokerRelistBehaviorDuration,
			},
		},
	}
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

func tweakURL(url string) func(*sc.ClusterServiceBroker) {
	return func(b *sc.ClusterServiceBroker) { b.Spec.URL = url }
}

func tweakRelist(behavior sc.ServiceBrokerRelistBehavior, d *time.Duration) func(*sc.ClusterServiceBroker) {
	return func(b *sc.ClusterServiceBroker) {
		b.Spec.RelistBehavior = behavior
		b.Spec.RelistDuration = nil
		if d != nil {
			b.Spec.RelistDuration = &metav1.Duration{Duration: *d}
		}
	}
}

func tweakRestrictions(classes, plans []string) func(*sc.ClusterServiceBroker) {
	return func(b *sc.ClusterServiceBroker) {
		b.Spec.CatalogRestrictions = &sc.CatalogRestrictions{ServiceClass: classes, ServicePlan: plans}
	}
}

func tweakAuth(auth *sc.ClusterServiceBrokerAuthInfo) func(*sc.ClusterServiceBroker) {
	return func(b *sc.ClusterServiceBroker) { b.Spec.AuthInfo = auth }
}

func basicAuth(namespace, name string) *sc.ClusterServiceBrokerAuthInfo {
	return &sc.ClusterServiceBrokerAuthInfo{Basic: &sc.ClusterBasicAuthConfig{
		SecretRef: &sc.ObjectReference{Namespace: namespace, Name: name},
	}}
}

func bearerAuth(namespace, name string) *sc.ClusterServiceBrokerAuthInfo {
	return &sc.ClusterServiceBrokerAuthInfo{Bearer: &sc.ClusterBearerTokenAuthConfig{
		SecretRef: &sc.ObjectReference{Namespace: namespace, Name: name},
	}}
}

func duration(d time.Duration) *time.Duration { return &d }

func TestValidateClusterServiceBroker(t *testing.T) {
	successCases := []*sc.ClusterServiceBroker{
		validBroker(),
		validBroker(tweakURL("http://broker.example.com")),
		validBroker(tweakURL("https://broker.example.com:8443/osb/v2/")),
		validBroker(tweakURL("http://10.0.0.1:8080")),
		validBroker(tweakURL("http://[fd00::1]:8080")),
		validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.InsecureSkipTLSVerify = true }),
		validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.CABundle = testCABundle }),
		validBroker(tweakRelist(sc.ServiceBrokerRelistBehaviorDuration, duration(15*time.Minute))),
		validBroker(tweakRelist(sc.ServiceBrokerRelistBehaviorManual, nil)),
		validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.RelistRequests = 7 }),
		validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.OSBAPIVersion = "2.13" }),
		validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.OSBAPIVersion = "2.17" }),
		validBroker(tweakRestrictions(
			[]string{"spec.externalName in (mysql, postgresql)", "name!=legacy", "spec.externalID"},
			[]string{"spec.free==true", "spec.clusterServiceClass.name=pg", "spec.externalName notin (huge)", "!spec.externalID"},
		)),
		validBroker(tweakRestrictions(nil, nil)),
		validBroker(tweakAuth(basicAuth("catalog", "broker-creds"))),
		validBroker(tweakAuth(bearerAuth("catalog", "broker-token"))),
	}
	for i, broker := range successCases {
		if errs := ValidateClusterServiceBroker(broker); len(errs) != 0 {
			t.Errorf("success case %d (%+v): unexpected errors: %v", i, broker.Spec, errs)
		}
		if errs := ValidateServiceBroker(brokerTwin(broker)); len(errs) != 0 {
			t.Errorf("success case %d, namespaced: unexpected errors: %v", i, errs)
		}
	}
	for _, v := range SupportedOSBAPIVersions {
		expectNoErrors(t, ValidateClusterServiceBroker(validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.OSBAPIVersion = v })))
	}

	errorCases := map[string]errorCase[*sc.ClusterServiceBroker]{
		"spec.url: Too long: may not be more than 2048 bytes": {
			obj: validBroker(func(b *sc.ClusterServiceBroker) {
				b.Spec.URL = "https://broker.example.com/" + strings.Repeat("x", 2048)
			}),
			field: "spec.url",
		},
		"spec.caBundle: Too long: may not be more than 262144 bytes": {
			obj:   validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.CABundle = make([]byte, 256*1024+1) }),
			field: "spec.caBundle",
		},
		"metadata.name: Required value": {
			obj:   validBroker(func(b *sc.ClusterServiceBroker) { b.Name = "" }),
			field: "metadata.name",
		},
		"metadata.namespace: Forbidden: not allowed on this type": {
			obj:   validBroker(func(b *sc.ClusterServiceBroker) { b.Namespace = "default" }),
			field: "metadata.namespace",
		},
		"Required value: the broker's base URL": {
			obj:   validBroker(tweakURL("")),
			field: "spec.url",
		},
		"must be an absolute URL with scheme http or https": {
			obj:   validBroker(tweakURL("ftp://broker.example.com")),
			field: "spec.url",
		},
		"must name a host": {
			obj:   validBroker(tweakURL("https:///v2")),
			field: "spec.url",
		},
		"must be a valid URL": {
			obj:   validBroker(tweakURL("https://broker.example.com:port/")),
			field: "spec.url",
		},
		"Forbidden: must not contain credentials; use authInfo with a Secret": {
			obj:   validBroker(tweakURL("https://admin:hunter2@broker.example.com")),
			field: "spec.url",
		},
		"must not have a query or a fragment": {
			obj:   validBroker(tweakURL("https://broker.example.com/?api-key=abc")),
			field: "spec.url",
		},
		"spec.caBundle: Forbidden: may not be set together with insecureSkipTLSVerify": {
			obj: validBroker(func(b *sc.ClusterServiceBroker) {
				b.Spec.CABundle = testCABundle
				b.Spec.InsecureSkipTLSVerify = true
			}),
			field: "spec.caBundle",
		},
		"must hold PEM-encoded certificates": {
			obj:   validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.CABundle = []byte("not a certificate") }),
			field: "spec.caBundle",
		},
		"spec.relistBehavior: Required value": {
			obj:   validBroker(tweakRelist("", nil)),
			field: "spec.relistBehavior",
		},
		`spec.relistBehavior: Unsupported value: "Sometimes": supported values: "Duration", "Manual"`: {
			obj:   validBroker(tweakRelist("Sometimes", nil)),
			field: "spec.relistBehavior",
		},
		`spec.relistDuration: Invalid value: "0s": must be greater than zero`: {
			obj:   validBroker(tweakRelist(sc.ServiceBrokerRelistBehaviorDuration, duration(0))),
			field: "spec.relistDuration",
		},
		`spec.relistDuration: Invalid value: "-1m0s": must be greater than zero`: {
			obj:   validBroker(tweakRelist(sc.ServiceBrokerRelistBehaviorDuration, duration(-time.Minute))),
			field: "spec.relistDuration",
		},
		`spec.relistDuration: Forbidden: may only be set when relistBehavior is "Duration"`: {
			obj:   validBroker(tweakRelist(sc.ServiceBrokerRelistBehaviorManual, duration(time.Hour))),
			field: "spec.relistDuration",
		},
		"spec.relistRequests: Invalid value: -1: must be greater than or equal to 0": {
			obj:   validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.RelistRequests = -1 }),
			field: "spec.relistRequests",
		},
		`spec.osbAPIVersion: Unsupported value: "2.12"`: {
			obj:   validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.OSBAPIVersion = "2.12" }),
			field: "spec.osbAPIVersion",
		},
		`spec.osbAPIVersion: Unsupported value: "v2.17"`: {
			obj:   validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.OSBAPIVersion = "v2.17" }),
			field: "spec.osbAPIVersion",
		},
		`spec.catalogRestrictions.serviceClass[1]: Invalid value: "spec.externalName in (mysql"`: {
			obj:   validBroker(tweakRestrictions([]string{"name=ok", "spec.externalName in (mysql"}, nil)),
			field: "spec.catalogRestrictions.serviceClass[1]",
		},
		`spec.catalogRestrictions.serviceClass[0]: Unsupported value: "spec.free"`: {
			obj:   validBroker(tweakRestrictions([]string{"spec.free==true"}, nil)),
			field: "spec.catalogRestrictions.serviceClass[0]",
		},
		`spec.catalogRestrictions.servicePlan[1]: Unsupported value: "spec.description"`: {
			obj:   validBroker(tweakRestrictions(nil, []string{"spec.free==true", "spec.description=cheap"})),
			field: "spec.catalogRestrictions.servicePlan[1]",
		},
		`spec.catalogRestrictions.servicePlan[0]: Invalid value: "spec.free===true"`: {
			obj:   validBroker(tweakRestrictions(nil, []string{"spec.free===true"})),
			field: "spec.catalogRestrictions.servicePlan[0]",
		},
		"spec.authInfo: Forbidden: exactly one of basic and bearer may be set": {
			obj: validBroker(tweakAuth(&sc.ClusterServiceBrokerAuthInfo{
				Basic:  basicAuth("catalog", "a").Basic,
				Bearer: bearerAuth("catalog", "b").Bearer,
			})),
			field: "spec.authInfo",
		},
		"spec.authInfo: Required value: exactly one of basic and bearer must be set": {
			obj:   validBroker(tweakAuth(&sc.ClusterServiceBrokerAuthInfo{})),
			field: "spec.authInfo",
		},
		"spec.authInfo.basic.secretRef: Required value": {
			obj:   validBroker(tweakAuth(&sc.ClusterServiceBrokerAuthInfo{Basic: &sc.ClusterBasicAuthConfig{}})),
			field: "spec.authInfo.basic.secretRef",
		},
		"spec.authInfo.bearer.secretRef: Required value": {
			obj:   validBroker(tweakAuth(&sc.ClusterServiceBrokerAuthInfo{Bearer: &sc.ClusterBearerTokenAuthConfig{}})),
			field: "spec.authInfo.bearer.secretRef",
		},
		"spec.authInfo.basic.secretRef.namespace: Required value: a cluster-wide broker must name the Secret's namespace": {
			obj:   validBroker(tweakAuth(basicAuth("", "broker-creds"))),
			field: "spec.authInfo.basic.secretRef.namespace",
		},
		`spec.authInfo.bearer.secretRef.namespace: Invalid value: "Catalog_NS"`: {
			obj:   validBroker(tweakAuth(bearerAuth("Catalog_NS", "broker-token"))),
			field: "spec.authInfo.bearer.secretRef.namespace",
		},
		"spec.authInfo.bearer.secretRef.name: Required value": {
			obj:   validBroker(tweakAuth(bearerAuth("catalog", ""))),
			field: "spec.authInfo.bearer.secretRef.name",
		},
		`spec.authInfo.basic.secretRef.name: Invalid value: "Broker_Creds"`: {
			obj:   validBroker(tweakAuth(basicAuth("catalog", "Broker_Creds"))),
			field: "spec.authInfo.basic.secretRef.name",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateClusterServiceBroker(tc.obj), msg, tc.field, tc.alsoAt...)
			expectTwinErrors(t, ValidateServiceBroker(brokerTwin(tc.obj)), msg, tc.field, tc.alsoAt...)
		})
	}
}

// TestValidateBrokerURLIsNeverEchoed checks that no error about the broker URL repeats any
// part of it: the URL may carry a password or an API key.
func TestValidateBrokerURLIsNeverEchoed(t *testing.T) {
	const secret = "s3cr3t-Passw0rd"
	urls := []string{
		"https://admin:" + secret + "@broker.example.com",
		"https://" + secret + "@broker.example.com",
		"https://broker.example.com/?token=" + secret,
		"https://broker.example.com/#" + secret,
		"ftp://admin:" + secret + "@broker.example.com",
		"https://admin:" + secret + "@broker.example.com:port/",
		"https://admin:" + secret + "@[::1/",
		"/relative/" + secret,
	}
	for _, u := range urls {
		errs := ValidateClusterServiceBroker(validBroker(tweakURL(u)))
		if len(errs) == 0 {
			t.Errorf("%q: expected errors", u)
			continue
		}
		for _, err := range errs {
			if err.Field != "spec.url" {
				t.Errorf("%q: unexpected error at %s: %v", u, err.Field, err)
			}
		}
		if text := errs.ToAggregate().Error(); strings.Contains(text, secret) {
			t.Errorf("%q: error text reveals the secret: %s", u, text)
		}
		for _, err := range errs {
			if s, ok := err.BadValue.(string); ok && strings.Contains(s, secret) {
				t.Errorf("%q: error value reveals the secret: %q", u, s)
			}
		}
	}
}

// TestValidateCABundleIsNeverEchoed checks that a caBundle holding something else than
// certificates, such as a private key pasted by mistake, is not repeated.
func TestValidateCABundleIsNeverEchoed(t *testing.T) {
	const body = "UHJpdmF0ZUtleU1hdGVyaWFs"
	broker := validBroker(func(b *sc.ClusterServiceBroker) {
		b.Spec.CABundle = []byte("-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n")
	})
	errs := ValidateClusterServiceBroker(broker)
	expectErrors(t, errs, "must hold PEM-encoded certificates", "spec.caBundle")
	if text := errs.ToAggregate().Error(); strings.Contains(text, body) {
		t.Errorf("error text reveals the caBundle: %s", text)
	}
}

func TestValidateClusterServiceBrokerUpdate(t *testing.T) {
	old := validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.RelistRequests = 2 })

	successCases := map[string]*sc.ClusterServiceBroker{
		"unchanged":                 old.DeepCopy(),
		"relistRequests increased":  validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.RelistRequests = 3 }),
		"url and relisting changed": validBroker(tweakURL("https://other.example.com"), tweakRelist(sc.ServiceBrokerRelistBehaviorManual, nil), func(b *sc.ClusterServiceBroker) { b.Spec.RelistRequests = 2 }),
		"labels changed": validBroker(func(b *sc.ClusterServiceBroker) {
			b.Spec.RelistRequests = 2
			b.Labels = map[string]string{"tier": "gold"}
		}),
	}
	for name, broker := range successCases {
		t.Run(name, func(t *testing.T) {
			expectNoErrors(t, ValidateClusterServiceBrokerUpdate(broker, old))
			expectNoErrors(t, ValidateServiceBrokerUpdate(brokerTwin(broker), brokerTwin(old)))
		})
	}

	errorCases := map[string]errorCase[*sc.ClusterServiceBroker]{
		"spec.relistRequests: Invalid value: 1: must not decrease": {
			obj:   validBroker(func(b *sc.ClusterServiceBroker) { b.Spec.RelistRequests = 1 }),
			field: "spec.relistRequests",
		},
		"Required value: the broker's base URL": {
			obj:   validBroker(tweakURL(""), func(b *sc.ClusterServiceBroker) { b.Spec.RelistRequests = 2 }),
			field: "spec.url",
		},
		"metadata.name: Invalid value: \"renamed\": field is immutable": {
			obj:   validBroker(func(b *sc.ClusterServiceBroker) { b.Name = "renamed"; b.Spec.RelistRequests = 2 }),
			field: "metadata.name",
		},
	}
	for msg, tc := range errorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateClusterServiceBrokerUpdate(tc.obj, old), msg, tc.field, tc.alsoAt...)
			expectTwinErrors(t, ValidateServiceBrokerUpdate(brokerTwin(tc.obj), brokerTwin(old)), msg, tc.field, tc.alsoAt...)
		})
	}
}

func validCondition(tweaks ...func(*metav1.Condition)) metav1.Condition {
	c := metav1.Condition{
		Type:               sc.ConditionReady,
		Status:             metav1.ConditionTrue,
		ObservedGeneration: 1,
		LastTransitionTime: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		Reason:             "Fetched",
		Message:            "the catalog was fetched",
	}
	for _, tweak := range tweaks {
		tweak(&c)
	}
	return c
}

// conditionErrorCases are invalid conditions every status validation must refuse, keyed
// by the expected message, with the path below the conditions list.
var conditionErrorCases = map[string]struct {
	conditions []metav1.Condition
	field      string
}{
	`Unsupported value: "Maybe"`: {
		conditions: []metav1.Condition{validCondition(func(c *metav1.Condition) { c.Status = "Maybe" })},
		field:      "[0].status",
	},
	"Required value": {
		conditions: []metav1.Condition{validCondition(), validCondition(func(c *metav1.Condition) { c.Type = sc.ConditionFailed; c.Reason = "" })},
		field:      "[1].reason",
	},
	"Duplicate value": {
		conditions: []metav1.Condition{validCondition(), validCondition()},
		field:      "[1]",
	},
	`Invalid value: "not a reason"`: {
		conditions: []metav1.Condition{validCondition(func(c *metav1.Condition) { c.Reason = "not a reason" })},
		field:      "[0].reason",
	},
	"must be greater than or equal to zero": {
		conditions: []metav1.Condition{validCondition(func(c *metav1.Condition) { c.ObservedGeneration = -1 })},
		field:      "[0].observedGeneration",
	},
}

func TestValidateClusterServiceBrokerStatusUpdate(t *testing.T) {
	old := validBroker()
	withStatus := func(conditions ...metav1.Condition) *sc.ClusterServiceBroker {
		b := validBroker()
		b.Status.Conditions = conditions
		b.Status.ServiceClassCount = 3
		return b
	}

	expectNoErrors(t, ValidateClusterServiceBrokerStatusUpdate(withStatus(), old))
	expectNoErrors(t, ValidateClusterServiceBrokerStatusUpdate(withStatus(validCondition(), validCondition(func(c *metav1.Condition) {
		c.Type, c.Status, c.Reason = sc.ConditionFailed, metav1.ConditionFalse, "NoError"
	})), old))
	// The status strategy keeps the stored spec, so a status write does not validate it.
	expectNoErrors(t, ValidateClusterServiceBrokerStatusUpdate(validBroker(tweakURL("")), old))

	for msg, tc := range conditionErrorCases {
		t.Run(msg, func(t *testing.T) {
			expectErrors(t, ValidateClusterServiceBrokerStatusUpdate(withStatus(tc.conditions...), old), msg, "status.conditions"+tc.field)
			expectTwinErrors(t, ValidateServiceBrokerStatusUpdate(brokerTwin(withStatus(tc.conditions...)), brokerTwin(old)), msg, "status.conditions"+tc.field)
		})
	}
	t.Run("metadata", func(t *testing.T) {
		renamed := withStatus()
		renamed.Name = "renamed"
		expectErrors(t, ValidateClusterServiceBrokerStatusUpdate(renamed, old), "field is immutable", "metadata.name")
	})
}

// A namespaced broker's plan restrictions may name the class as spec.serviceClass.name,
// the field of its plans; a cluster broker's may not.
func TestOnlyANamespacedBrokerRestrictsPlansBySpecServiceClassName(t *testing.T) {
	broker := validBroker(tweakRestrictions(nil, []string{"spec.serviceClass.name=pg"}))
	if errs := ValidateServiceBroker(brokerTwin(broker)); len(errs) != 0 {
		t.Errorf("namespaced broker: unexpected errors: %v", errs)
	}
	errs := ValidateClusterServiceBroker(broker)
	if len(errs) != 1 || errs[0].Field != "spec.catalogRestrictions.servicePlan[0]" {
		t.Errorf("cluster broker: errors %v, want one at spec.catalogRestrictions.servicePlan[0]", errs)
	}
}
