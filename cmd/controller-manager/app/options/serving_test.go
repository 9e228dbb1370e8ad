package options

import (
	"strings"
	"testing"
)

func TestPlainHTTPIsServedOnLoopbackOnly(t *testing.T) {
	for address, ok := range map[string]bool{
		"127.0.0.1:8080": true,
		"127.0.0.2:8080": true,
		"[::1]:8080":     true,
		"localhost:8080": true,
		":8080":          false,
		"0.0.0.0:8080":   false,
		"10.0.0.1:8080":  false,
		"127.0.0.1":      false,
	} {
		o := NewServingOptions()
		o.HealthAddress = address
		errs := o.Validate()
		if ok != (len(errs) == 0) {
			t.Errorf("--health-address=%s: errors %v, want ok=%v", address, errs, ok)
		}
		if !ok && (len(errs) != 1 || !strings.Contains(errs[0].Error(), "loopback")) {
			t.Errorf("--health-address=%s: errors %v, want one naming the loopback rule", address, errs)
		}
	}
}

func TestServingDefaults(t *testing.T) {
	o := NewServingOptions()
	if o.Secure.BindPort != DefaultSecurePort || o.HealthAddress != "" {
		t.Errorf("defaults: secure port %d, health address %q; want HTTPS on %d and no plain HTTP", o.Secure.BindPort, o.HealthAddress, DefaultSecurePort)
	}
	if got := strings.Join(o.Authorization.AlwaysAllowPaths, ","); got != "/healthz,/readyz,/livez" {
		t.Errorf("open paths %q, want the health paths only", got)
	}
}
