package revocation

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
)

// TestSelfRevocation: a temporary session revoking its own access key id
// needs no identity-policy permission; any other request (another key, a
// principal, a long-term key's own id) is authorized as before.
func TestSelfRevocation(t *testing.T) {
	const own, other = "ASIAOWNKEY7Q4NN2KXYZ", "ASIAOTHER7Q4NN2KXYZA"
	session := &identity.Principal{AccessKeyID: own, Account: "123456789012", Session: &credential.Claims{AccessKeyID: own}}
	longTerm := &identity.Principal{AccessKeyID: "AKIALONGTERM7Q4NN2KX", Account: "123456789012"}
	for _, tt := range []struct {
		name string
		p    *identity.Principal
		in   brevetapi.RevokeSessionsRequest
		skip bool
	}{
		{"own session key", session, brevetapi.RevokeSessionsRequest{AccessKeyId: own}, true},
		{"another key", session, brevetapi.RevokeSessionsRequest{AccessKeyId: other}, false},
		{"own key and a principal", session, brevetapi.RevokeSessionsRequest{AccessKeyId: own, PrincipalArn: "arn:aws:iam::123456789012:role/a"}, false},
		{"own key issued before", session, brevetapi.RevokeSessionsRequest{AccessKeyId: own, IssuedBefore: time.Now()}, false},
		{"a principal", session, brevetapi.RevokeSessionsRequest{PrincipalArn: "arn:aws:iam::123456789012:role/a"}, false},
		{"long-term key's own id", longTerm, brevetapi.RevokeSessionsRequest{AccessKeyId: longTerm.AccessKeyID}, false},
		{"no key", session, brevetapi.RevokeSessionsRequest{}, false},
	} {
		r := &awsquery.Request[brevetapi.RevokeSessionsRequest]{Principal: tt.p, Input: &tt.in}
		if got := selfRevocation(r); got != tt.skip {
			t.Errorf("%s: selfRevocation = %v, want %v", tt.name, got, tt.skip)
		}
	}
}
