package node

import (
	"testing"
	"time"
)

// TestIdentityPoolSAMLResponseTwice: the SDKs' identity pool provider
// sends the same Logins to GetId and then GetCredentialsForIdentity (and
// again at each refresh while the response is valid), so a SAML
// response, like an ID token, is a login every time it is sent within
// its validity; it gives only its own NameID's identity.
func TestIdentityPoolSAMLResponseTwice(t *testing.T) {
	e := startIdentitiesNode(t)
	saml, arn, pool := e.samlPool(t)
	response := saml.Response(t, saml.NewAssertion("jane@example.com", "arn:aws:iam::"+testAccount+":role/any", arn, "jane", time.Now()))
	first, err := e.getID(pool, map[string]string{arn: response})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := e.getID(pool, map[string]string{arn: response}); err != nil || again != first {
		t.Errorf("the same response again: %s (%v), want %s", again, err, first)
	}
}
