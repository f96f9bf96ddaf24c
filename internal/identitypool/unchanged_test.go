package identitypool

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store/teststores"
)

// writesExchange is exchange(now) of a Writes action, as the node routes
// GetId and GetOpenIdToken.
func writesExchange(now time.Time) *request.Exchange {
	x := exchange(now)
	x.Op = &request.Operation{Name: "GetId", Effect: request.Writes}
	return x
}

// TestGetIdUnchanged: GetId says it wrote nothing (Exchange.Unchanged,
// so that the node does not sync its caches) only for an identity that
// comes back with logins it already has; a guest, a new person and a new
// login linked write. GetOpenIdToken likewise when it links nothing.
func TestGetIdUnchanged(t *testing.T) {
	st := teststores.SQLite(t, time.Now)
	identityService(t, st) // makes the account
	s, pool := flowService(t, st)
	ctx, now := t.Context(), time.Now()
	getID := func(logins map[string]string) (string, bool) {
		t.Helper()
		x := writesExchange(now)
		out, err := s.GetId(ctx, &GetIdInput{IdentityPoolId: pool, Logins: logins}, x)
		if err != nil {
			t.Fatal(err)
		}
		return out.IdentityId, x.Wrote()
	}
	if _, wrote := getID(nil); !wrote {
		t.Error("a new guest: unchanged")
	}
	id, wrote := getID(map[string]string{idpA: "sub:ann"})
	if !wrote {
		t.Error("a new person: unchanged")
	}
	if again, wrote := getID(map[string]string{idpA: "sub:ann"}); wrote || again != id {
		t.Errorf("a returning person: identity %s (want %s), wrote %v", again, id, wrote)
	}
	if again, wrote := getID(map[string]string{idpA: "sub:ann", idpB: "sub:ann-b"}); !wrote || again != id {
		t.Errorf("a new login linked: identity %s (want %s), wrote %v", again, id, wrote)
	}
	if _, wrote := getID(map[string]string{idpA: "sub:ann", idpB: "sub:ann-b"}); wrote {
		t.Error("both logins again: wrote")
	}

	// GetOpenIdToken (the pool does not allow the classic flow, so it
	// fails after authenticating): linking writes, reading does not.
	for _, tc := range []struct {
		logins map[string]string
		wrote  bool
	}{
		{map[string]string{idpA: "sub:ann"}, false},
		{map[string]string{idpA: "sub:ann", idpB: "sub:other"}, true},
	} {
		x := writesExchange(now)
		if _, err := s.GetOpenIdToken(ctx, &GetOpenIdTokenInput{IdentityId: id, Logins: tc.logins}, x); err == nil {
			t.Fatal("GetOpenIdToken without the classic flow succeeded")
		}
		if x.Wrote() != tc.wrote {
			t.Errorf("GetOpenIdToken %v: wrote %v; want %v", tc.logins, x.Wrote(), tc.wrote)
		}
	}
}
