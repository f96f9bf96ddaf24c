package rolesanywhere_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/rolesanywhere"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// BenchmarkCreateSession is Roles Anywhere's part of a CreateSession on
// warm caches: the anchor and the profile cached, the chain verified
// before; what remains is the signature (verified every time), the
// profile's checks and the attribute mapping. STS's part (trust policy,
// minting) is BenchmarkServiceSession in internal/sts.
func BenchmarkCreateSession(b *testing.B) {
	for _, kt := range []struct {
		name string
		key  x509test.KeyType
	}{{"ECDSA", x509test.ECDSAP256}, {"RSA", x509test.RSA}} {
		b.Run(kt.name, func(b *testing.B) {
			e := newSessionEnv(b)
			leaf := e.ca.Leaf(b, x509test.Options{CN: "bench", Key: kt.key})
			raw, _ := json.Marshal(map[string]any{"trustAnchorArn": e.anchorARN, "profileArn": e.profileARN, "roleArn": e.role})
			sr := sigv4.Request{Method: "POST", Path: "/sessions", Host: "example.com", Body: raw, Header: http.Header{"Content-Type": {"application/json"}}}
			if err := sigv4.SignX509(&sr, leaf.Key, leaf.Cert, nil, "us-east-1", e.now); err != nil {
				b.Fatal(err)
			}
			var in rolesanywhere.CreateSessionInput
			_ = json.Unmarshal(raw, &in)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest("POST", "/sessions", strings.NewReader(""))
				req.Host = "example.com"
				req.Header = sr.Header
				p, err := e.svc.Authenticate(b.Context(), req, raw, e.now)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := e.svc.CreateSession(b.Context(), p, &in, authz.Facts{Now: e.now}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
