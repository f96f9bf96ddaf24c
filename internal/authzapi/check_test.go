package authzapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// TestWireErrors: what each failure of the pipeline answers; never a 500.
func TestWireErrors(t *testing.T) {
	c := &Checker{cfg: Config{MapError: func(err error) *WireError {
		if errors.Is(err, errGone) {
			return &WireError{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: "gone"}
		}
		return nil
	}}}
	c.cfg.Logger = discardLogger()
	tests := []struct {
		err        error
		wantStatus int
		wantCode   string
	}{
		{&NoRouteError{Method: "GET", Path: "/x"}, 403, "AccessDenied"},
		{&request.AccessDeniedError{Principal: "p", Action: "orders:GetOrder", Decision: request.Decision{Reason: "r", EncodedMessage: "m"}}, 403, "AccessDenied"},
		{fmt.Errorf("wrapped: %w", &request.ThrottledError{RetryAfter: time.Second}), 429, "Throttling"},
		{&sigv4.Error{Kind: sigv4.KindExpiredToken}, 401, "ExpiredToken"},
		{&sigv4.Error{Kind: sigv4.KindInvalidClientTokenID}, 401, "InvalidClientTokenId"},
		{&sigv4.Error{Kind: sigv4.KindSignatureDoesNotMatch}, 401, "SignatureDoesNotMatch"},
		{&sigv4.Error{Kind: sigv4.KindRequestExpired}, 401, "SignatureDoesNotMatch"},
		{&sigv4.Error{Kind: sigv4.KindInvalidScope}, 401, "SignatureDoesNotMatch"},
		{&sigv4.Error{Kind: sigv4.KindMissingAuthenticationToken}, 401, "MissingAuthenticationToken"},
		{&sigv4.Error{Kind: sigv4.KindIncompleteSignature}, 401, "IncompleteSignature"},
		// A presigned URL past its expiry: authenticated, refused (S3's
		// answer too), as docs/authorization-api.md's table says.
		{&sigv4.Error{Kind: sigv4.KindAccessDenied}, 403, "AccessDenied"},
		{&BearerError{Code: "InvalidIdentityToken"}, 401, "InvalidIdentityToken"},
		{malformed("bad"), 400, "InvalidRequest"},
		{errGone, 401, "InvalidClientTokenId"},
		{errors.New("something unexpected"), 503, "ServiceUnavailable"},
	}
	for _, tt := range tests {
		res := &Result{}
		got := c.wire(context.Background(), &call{}, tt.err, res)
		if got.Status != tt.wantStatus || got.Code != tt.wantCode {
			t.Errorf("wire(%v) = %d %s, want %d %s", tt.err, got.Status, got.Code, tt.wantStatus, tt.wantCode)
		}
	}
}

var errGone = errors.New("principal gone")

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestPrepareSourceIP: the original client's address a proxy or a verify
// caller names (X-Real-IP, sourceIp) becomes aws:SourceIp, the per-source
// budgets' key and the event's sourceIPAddress only when it is an IP
// address; anything else is a malformed check, never an address.
func TestPrepareSourceIP(t *testing.T) {
	c := &Checker{cfg: Config{MaxHeaders: DefaultMaxHeaders}}
	tests := []struct {
		in, want   string
		wantStatus int
	}{
		{"", "192.0.2.9", 0}, // none: the proxy's own address
		{"203.0.113.7", "203.0.113.7", 0},
		{"2001:db8::1", "2001:db8::1", 0},
		{"::ffff:203.0.113.7", "203.0.113.7", 0},
		{"not-an-address", "", http.StatusBadRequest},
		{"203.0.113.7, 198.51.100.1", "", http.StatusBadRequest},
		{"fe80::1%eth0", "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		x := &call{c: c, orig: &Original{Method: "GET", Path: "/orders/1", SourceIP: tt.in}}
		x.Begin(&http.Request{RemoteAddr: "192.0.2.9:4711", Header: http.Header{}}, "rid", time.Now())
		err := c.prepare(x)
		if tt.wantStatus != 0 {
			we, ok := errors.AsType[*WireError](err)
			if !ok || we.Status != tt.wantStatus {
				t.Errorf("prepare(SourceIP %q) = %v, want a %d", tt.in, err, tt.wantStatus)
			}
			continue
		}
		if err != nil || x.SourceIP != tt.want {
			t.Errorf("prepare(SourceIP %q): SourceIP %q, err %v; want %q", tt.in, x.SourceIP, err, tt.want)
		}
		// The checked request is the original's, from the original
		// client: the Authenticator gives its address to a bearer
		// token's trust policy (aws:SourceIp), as the Authorizer does.
		if got := request.SourceIP(x.HTTP); got != tt.want {
			t.Errorf("prepare(SourceIP %q): the checked request comes from %q, want %q", tt.in, got, tt.want)
		}
	}
}
