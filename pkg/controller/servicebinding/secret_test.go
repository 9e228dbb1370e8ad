package servicebinding

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
)

const testPassword = "s3cr3t-credential-value"

func testBinding(tweaks ...func(*v1beta1.ServiceBinding)) *v1beta1.ServiceBinding {
	b := &v1beta1.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db-creds", UID: types.UID("binding-uid")},
		Spec: v1beta1.ServiceBindingSpec{
			InstanceRef: v1beta1.ServiceInstanceReference{Name: "db"},
			SecretName:  "db-creds",
			ExternalID:  "binding-id",
		},
	}
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

// testCredentials decodes credentials as the OSB client does: numbers as json.Number.
func testCredentials(t *testing.T, doc string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var creds map[string]any
	if err := dec.Decode(&creds); err != nil {
		t.Fatal(err)
	}
	return creds
}

func strPtr(s string) *string { return &s }

func stringData(s *corev1.Secret) map[string]string {
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	return out
}

func TestBuildSecret(t *testing.T) {
	creds := `{"uri":"postgresql://u:` + testPassword + `@db.example.com:5432/app","username":"u","password":"` + testPassword + `",
		"host":"db.example.com","port":5432,"tls":true,"ratio":0.5,"options":{"sslmode":"require"},"replicas":["a","b"],"note":null}`
	kube := fake.NewClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "ca"},
		Data:       map[string][]byte{"ca.crt": []byte("PEM"), "password": []byte("from-ca-secret")},
	})

	tests := []struct {
		name        string
		creds       string
		transforms  []v1beta1.SecretTransform
		serviceType string
		want        map[string]string
		wantType    corev1.SecretType
	}{{
		name:        "every value, type and provider",
		creds:       creds,
		serviceType: "postgresql",
		want: map[string]string{
			"uri": "postgresql://u:" + testPassword + "@db.example.com:5432/app", "username": "u", "password": testPassword,
			"host": "db.example.com", "port": "5432", "tls": "true", "ratio": "0.5", "options": `{"sslmode":"require"}`,
			"replicas": `["a","b"]`, "note": "null", "type": "postgresql", "provider": "the-broker",
		},
		wantType: "servicebinding.io/postgresql",
	}, {
		name:        "the credentials' own type and provider win",
		creds:       `{"type":"mysql","provider":"bitnami","password":"p"}`,
		serviceType: "postgresql",
		want:        map[string]string{"type": "mysql", "provider": "bitnami", "password": "p"},
		wantType:    "servicebinding.io/mysql",
	}, {
		name:  "transforms in order",
		creds: creds,
		transforms: []v1beta1.SecretTransform{
			{RenameKey: &v1beta1.RenameKeyTransform{From: "username", To: "user"}},
			{RenameKey: &v1beta1.RenameKeyTransform{From: "absent", To: "nothing"}},
			// The JSONPath reads the broker's credentials, not the renamed data.
			{AddKey: &v1beta1.AddKeyTransform{Key: "login", JSONPathExpression: strPtr("{.username}@{.host}:{.port}")}},
			{AddKey: &v1beta1.AddKeyTransform{Key: "sslmode", JSONPathExpression: strPtr("{.options.sslmode}")}},
			{AddKey: &v1beta1.AddKeyTransform{Key: "opts", JSONPathExpression: strPtr("{.options}")}},
			{AddKey: &v1beta1.AddKeyTransform{Key: "region", StringValue: strPtr("eu")}},
			{AddKey: &v1beta1.AddKeyTransform{Key: "raw", Value: []byte{0, 1, 2}}},
			{AddKeysFrom: &v1beta1.AddKeysFromTransform{SecretRef: &v1beta1.ObjectReference{Name: "ca"}}},
			{RemoveKey: &v1beta1.RemoveKeyTransform{Key: "uri"}},
			{RemoveKey: &v1beta1.RemoveKeyTransform{Key: "options"}},
			{RemoveKey: &v1beta1.RemoveKeyTransform{Key: "replicas"}},
			{RemoveKey: &v1beta1.RemoveKeyTransform{Key: "note"}},
			{RemoveKey: &v1beta1.RemoveKeyTransform{Key: "ratio"}},
			{AddKey: &v1beta1.AddKeyTransform{Key: "type", StringValue: strPtr("postgres")}},
		},
		serviceType: "postgresql",
		want: map[string]string{
			"user": "u", "password": "from-ca-secret", "host": "db.example.com", "port": "5432", "tls": "true",
			"login": "u@db.example.com:5432", "sslmode": "require", "opts": `{"sslmode":"require"}`, "region": "eu",
			"raw": "\x00\x01\x02", "ca.crt": "PEM", "type": "postgres", "provider": "the-broker",
		},
		wantType: "servicebinding.io/postgres",
	}, {
		name:        "no type key: Opaque",
		creds:       `{"password":"p"}`,
		serviceType: "redis",
		transforms:  []v1beta1.SecretTransform{{RemoveKey: &v1beta1.RemoveKeyTransform{Key: "type"}}},
		want:        map[string]string{"password": "p", "provider": "the-broker"},
		wantType:    corev1.SecretTypeOpaque,
	}, {
		name:        "a type that is no DNS subdomain: Opaque",
		creds:       `{"type":"Postgre SQL"}`,
		serviceType: "redis",
		want:        map[string]string{"type": "Postgre SQL", "provider": "the-broker"},
		wantType:    corev1.SecretTypeOpaque,
	}, {
		name:        "no credentials",
		creds:       `{}`,
		serviceType: "redis",
		want:        map[string]string{"type": "redis", "provider": "the-broker"},
		wantType:    "servicebinding.io/redis",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			binding := testBinding(func(b *v1beta1.ServiceBinding) { b.Spec.SecretTransforms = tc.transforms })
			s, err := buildSecret(context.Background(), kube.CoreV1(), binding, testCredentials(t, tc.creds), tc.serviceType, "the-broker")
			if err != nil {
				t.Fatal(err)
			}
			looptest.Expect(t, "data", tc.want, stringData(s))
			if s.Type != tc.wantType {
				t.Errorf("type %q, want %q", s.Type, tc.wantType)
			}
			looptest.Expect(t, "Secret", "ns/db-creds", s.Namespace+"/"+s.Name)
			if !metav1.IsControlledBy(s, binding) {
				t.Errorf("owners %+v", s.OwnerReferences)
			}
			type owner struct {
				APIVersion, Kind, Name string
				BlockOwnerDeletion     *bool
			}
			ref := s.OwnerReferences[0]
			looptest.Expect(t, "owner reference", owner{"servicecatalog.k8s.io/v1beta1", "ServiceBinding", "db-creds", nil},
				owner{ref.APIVersion, ref.Kind, ref.Name, ref.BlockOwnerDeletion})
		})
	}
}

func TestBuildSecretErrors(t *testing.T) {
	kube := fake.NewClientset()
	creds := `{"password":"` + testPassword + `","host":"h","nested":{"password":"` + testPassword + `"}}`
	tests := []struct {
		name       string
		creds      string
		transforms []v1beta1.SecretTransform
		// check tells whether the error is of the expected kind.
		check   func(error) bool
		message string
	}{{
		name:       "JSONPath finds nothing",
		creds:      creds,
		transforms: []v1beta1.SecretTransform{{AddKey: &v1beta1.AddKeyTransform{Key: "x", JSONPathExpression: strPtr("{.port}")}}},
		check:      isSecretError,
		message:    `spec.secretTransforms[0].addKey: the JSONPath expression "{.port}" finds nothing in the broker's credentials (port is not found).`,
	}, {
		// jsonpath's own error would print the value it cannot filter.
		name:       "JSONPath cannot be evaluated",
		creds:      creds,
		transforms: []v1beta1.SecretTransform{{AddKey: &v1beta1.AddKeyTransform{Key: "x", JSONPathExpression: strPtr(`{.password[?(@.a=="b")]}`)}}},
		check:      isSecretError,
		message:    "cannot be evaluated against the broker's credentials",
	}, {
		name:    "keys a Secret cannot hold",
		creds:   `{"api key":"` + testPassword + `","ok":"x","a/b":"y"}`,
		check:   isSecretError,
		message: `The credentials have keys a Secret cannot hold: "a/b", "api key"; rename them with secretTransforms.`,
	}, {
		name:       "addKeysFrom names a missing Secret",
		creds:      creds,
		transforms: []v1beta1.SecretTransform{{AddKeysFrom: &v1beta1.AddKeysFromTransform{SecretRef: &v1beta1.ObjectReference{Name: "nope"}}}},
		check: func(err error) bool {
			var m *missingSourceError
			return errors.As(err, &m)
		},
		message: `The Secret "nope" named by spec.secretTransforms[0].addKeysFrom does not exist.`,
	}, {
		name:       "addKeysFrom names another namespace",
		creds:      creds,
		transforms: []v1beta1.SecretTransform{{AddKeysFrom: &v1beta1.AddKeysFromTransform{SecretRef: &v1beta1.ObjectReference{Namespace: "kube-system", Name: "x"}}}},
		check:      isSecretError,
		message:    "names a Secret in another namespace",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			binding := testBinding(func(b *v1beta1.ServiceBinding) { b.Spec.SecretTransforms = tc.transforms })
			_, err := buildSecret(context.Background(), kube.CoreV1(), binding, testCredentials(t, tc.creds), "t", "p")
			if err == nil || !tc.check(err) {
				t.Fatalf("error %v (%T)", err, err)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("message %q, want %q", err.Error(), tc.message)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("the message reveals a credential: %q", err.Error())
			}
		})
	}
	// The Secret's namespace is the binding's: a reference to another one is never read.
	for _, a := range kube.Actions() {
		if a.GetNamespace() != "ns" {
			t.Errorf("read a Secret of namespace %q", a.GetNamespace())
		}
	}
}

func isSecretError(err error) bool {
	var se *secretError
	return errors.As(err, &se)
}

func TestServiceType(t *testing.T) {
	class := func(name, externalName string, tags ...string) *v1beta1.ClusterServiceClass {
		return &v1beta1.ClusterServiceClass{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       v1beta1.ClusterServiceClassSpec{CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{ExternalName: externalName, Tags: tags}},
		}
	}
	for _, tc := range []struct {
		class *v1beta1.ClusterServiceClass
		want  string
	}{
		{class("c1", "azure-postgresql", "PostgreSQL", "database"), "postgresql"},
		{class("c2", "redis", "Key Value", "cache"), "cache"},
		{class("c3", "My-Redis"), "my-redis"},
		{class("c4", "My Redis!", "also bad"), "c4"},
	} {
		view, _ := catalog.ClassOf(tc.class)
		if got := serviceType(view); got != tc.want {
			t.Errorf("serviceType(tags %v, name %q) = %q, want %q", tc.class.Spec.Tags, tc.class.Spec.ExternalName, got, tc.want)
		}
	}
}

func TestWriteSecret(t *testing.T) {
	ctx := context.Background()
	binding := testBinding()
	want := func() *corev1.Secret {
		s, err := buildSecret(ctx, fake.NewClientset().CoreV1(), binding, map[string]any{"password": testPassword}, "redis", "b")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("creates", func(t *testing.T) {
		kube := fake.NewClientset()
		if err := writeSecret(ctx, kube.CoreV1(), binding, want()); err != nil {
			t.Fatal(err)
		}
		s, err := kube.CoreV1().Secrets("ns").Get(ctx, "db-creds", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		type created struct {
			Password   string
			Controlled bool
		}
		looptest.Require(t, "created Secret", created{testPassword, true}, created{string(s.Data["password"]), metav1.IsControlledBy(s, binding)})
	})

	t.Run("updates its own", func(t *testing.T) {
		old := want()
		old.Data = map[string][]byte{"password": []byte("old")}
		old.Labels = map[string]string{"kept": "yes"}
		kube := fake.NewClientset(old)
		if err := writeSecret(ctx, kube.CoreV1(), binding, want()); err != nil {
			t.Fatal(err)
		}
		s, _ := kube.CoreV1().Secrets("ns").Get(ctx, "db-creds", metav1.GetOptions{})
		type updated struct{ Password, KeptLabel string }
		looptest.Expect(t, "updated Secret", updated{testPassword, "yes"}, updated{string(s.Data["password"]), s.Labels["kept"]})
		// Writing the same data again changes nothing.
		kube.ClearActions()
		if err := writeSecret(ctx, kube.CoreV1(), binding, want()); err != nil {
			t.Fatal(err)
		}
		for _, a := range kube.Actions() {
			if a.GetVerb() != "get" {
				t.Errorf("unneeded %s", a.GetVerb())
			}
		}
	})

	t.Run("replaces its own of another type", func(t *testing.T) {
		old := want()
		old.Type = corev1.SecretTypeOpaque
		old.UID = "old-uid"
		kube := fake.NewClientset(old)
		if err := writeSecret(ctx, kube.CoreV1(), binding, want()); err != nil {
			t.Fatal(err)
		}
		s, _ := kube.CoreV1().Secrets("ns").Get(ctx, "db-creds", metav1.GetOptions{})
		if s.Type != "servicebinding.io/redis" {
			t.Errorf("type %q", s.Type)
		}
	})

	foreignSecrets := map[string]*corev1.Secret{
		"no owner": {ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db-creds", ResourceVersion: "7"},
			Data: map[string][]byte{"mine": []byte("x")}},
		"owned by another binding": {ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db-creds", ResourceVersion: "7",
			OwnerReferences: []metav1.OwnerReference{ownerReference(testBinding(func(b *v1beta1.ServiceBinding) { b.UID = "other" }))}},
			Data: map[string][]byte{"mine": []byte("x")}},
		"owned, not controlled": {ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db-creds", ResourceVersion: "7",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "servicecatalog.k8s.io/v1beta1", Kind: "ServiceBinding", Name: "db-creds", UID: binding.UID}}},
			Data: map[string][]byte{"mine": []byte("x")}},
	}
	for name, foreign := range foreignSecrets {
		t.Run("leaves a Secret it does not control: "+name, func(t *testing.T) {
			kube := fake.NewClientset(foreign.DeepCopy())
			err := writeSecret(ctx, kube.CoreV1(), binding, want())
			var exists *secretExistsError
			if !errors.As(err, &exists) {
				t.Fatalf("error %v, want a secretExistsError", err)
			}
			for _, a := range kube.Actions() {
				if a.GetVerb() != "get" {
					t.Errorf("the foreign Secret saw a %s", a.GetVerb())
				}
			}
			s, _ := kube.CoreV1().Secrets("ns").Get(ctx, "db-creds", metav1.GetOptions{})
			looptest.Expect(t, "the foreign Secret, which must not change", foreign, s)
			if _, err := checkSecret(ctx, kube.CoreV1(), binding); !errors.As(err, &exists) {
				t.Errorf("checkSecret: %v", err)
			}
			if err := deleteOwnedSecret(ctx, kube.CoreV1(), binding); err != nil {
				t.Fatal(err)
			}
			if _, err := kube.CoreV1().Secrets("ns").Get(ctx, "db-creds", metav1.GetOptions{}); err != nil {
				t.Errorf("deleteOwnedSecret deleted a Secret the binding does not control: %v", err)
			}
		})
	}

	t.Run("created meanwhile", func(t *testing.T) {
		kube := fake.NewClientset()
		kube.PrependReactor("create", "secrets", func(clienttesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewAlreadyExists(schema.GroupResource{Resource: "secrets"}, "db-creds")
		})
		var exists *secretExistsError
		if err := writeSecret(ctx, kube.CoreV1(), binding, want()); !errors.As(err, &exists) {
			t.Errorf("error %v, want a secretExistsError", err)
		}
	})

	t.Run("deletes its own", func(t *testing.T) {
		kube := fake.NewClientset(want())
		if err := deleteOwnedSecret(ctx, kube.CoreV1(), binding); err != nil {
			t.Fatal(err)
		}
		if _, err := kube.CoreV1().Secrets("ns").Get(ctx, "db-creds", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the binding's Secret is still there: %v", err)
		}
		if err := deleteOwnedSecret(ctx, kube.CoreV1(), binding); err != nil {
			t.Errorf("deleting a missing Secret: %v", err)
		}
	})
}
