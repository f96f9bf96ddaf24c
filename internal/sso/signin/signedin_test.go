package signin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sso/signin"
)

// TestSignedInAt: SignedInAt tells when the browser's person signed in
// (password and second factor verified), however long ago, so that the
// console dates a session's MFA from it; nobody signed in is the zero
// time.
func TestSignedInAt(t *testing.T) {
	var clock atomic.Int64
	t0 := time.Now().Truncate(time.Second)
	clock.Store(t0.UnixNano())
	e := newEnv(t, func(c *signin.Config) { c.Now = func() time.Time { return time.Unix(0, clock.Load()) } })
	seed := e.user("alice", true)
	b := e.browser()
	b.signIn(alias, "alice", &seed)
	h := e.srv.Config.Handler.(*signin.Handler)
	u, _ := url.Parse(e.srv.URL)
	req := httptest.NewRequest(http.MethodGet, e.srv.URL+"/console/login", nil)
	for _, c := range b.c.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	clock.Store(t0.Add(30 * time.Minute).UnixNano())
	if id, _, ok := h.SignedIn(req); !ok || !id.MFA {
		t.Fatalf("SignedIn: %v, MFA %v", ok, id.MFA)
	}
	if got := h.SignedInAt(req); !got.Equal(t0) {
		t.Errorf("SignedInAt 30 minutes later: %v, want %v", got, t0)
	}
	if got := h.SignedInAt(httptest.NewRequest(http.MethodGet, "/", nil)); !got.IsZero() {
		t.Errorf("SignedInAt without a sign-in: %v, want zero", got)
	}
}
