package identitypool

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sts"
)

func TestAMR(t *testing.T) {
	tests := []struct {
		name   string
		logins []Login
		want   []string
	}{
		{"guest", nil, []string{"unauthenticated"}},
		{"one", []Login{{"accounts.google.com", "123"}}, []string{"authenticated", "accounts.google.com", "accounts.google.com:123"}},
		{"sorted by provider", []Login{{"z.example", "1"}, {"a.example", "2"}},
			[]string{"authenticated", "a.example", "a.example:2", "z.example", "z.example:1"}},
		{"developer", []Login{{"login.myapp", "user-1"}}, []string{"authenticated", "login.myapp", "login.myapp:user-1"}},
		// A provider named like a guest (a developer provider or an OIDC
		// host may be "unauthenticated") must not read as one to a trust
		// policy's ForAnyValue condition on :amr.
		{"provider named unauthenticated", []Login{{"unauthenticated", "u"}}, []string{"authenticated", "unauthenticated:u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := amr(tt.logins); !cmp.Equal(got, tt.want) {
				t.Errorf("amr: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoginsAMR(t *testing.T) {
	dev := &sts.PoolToken{AMR: []string{"authenticated", "login.myapp", "login.myapp:user-1"}}
	tests := []struct {
		name   string
		logins []LoginProof
		want   []string
	}{
		{"guest", nil, []string{"unauthenticated"}},
		{"oidc", []LoginProof{{Provider: "idp.example.com", Subject: "s1"}}, []string{"authenticated", "idp.example.com", "idp.example.com:s1"}},
		{"developer token", []LoginProof{{Provider: DeveloperLogin, Subject: "us-east-1:x", Developer: dev}},
			[]string{"authenticated", "login.myapp", "login.myapp:user-1"}},
		{"developer token and oidc", []LoginProof{{Provider: DeveloperLogin, Subject: "us-east-1:x", Developer: dev}, {Provider: "idp.example.com", Subject: "s1"}},
			[]string{"authenticated", "idp.example.com", "idp.example.com:s1", "login.myapp", "login.myapp:user-1"}},
		{"developer token without providers", []LoginProof{{Provider: DeveloperLogin, Developer: &sts.PoolToken{AMR: []string{"authenticated"}}}},
			[]string{"authenticated", DeveloperLogin}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := loginsAMR(tt.logins); !cmp.Equal(got, tt.want) {
				t.Errorf("loginsAMR: got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCheckFlowInput: the model's constraints on the flows' input, checked
// before anything is looked up, and no login token in the message.
func TestCheckFlowInput(t *testing.T) {
	const id = "us-east-1:6f3c2a1e-8b7d-4c5e-9f0a-1b2c3d4e5f60"
	token := "eyJhbGciOiJSUzI1NiJ9.secret-token-body.sig"
	many := map[string]string{}
	for i := range MaxLogins + 1 {
		many[strings.Repeat("p", i+1)] = token
	}
	tests := []struct {
		name   string
		id     string
		logins map[string]string
		role   string
		ok     bool
	}{
		{name: "guest", id: id, ok: true},
		{name: "logins", id: id, logins: map[string]string{"idp.example.com": token}, ok: true},
		{name: "custom role", id: id, role: "arn:aws:iam::111122223333:role/R", ok: true},
		{name: "underscore region", id: "eu_west-1:abc-123", ok: true},
		{name: "missing id", id: ""},
		{name: "id without colon", id: "us-east-1"},
		{name: "id upper hex", id: "us-east-1:ABC"},
		{name: "id with space", id: "us east-1:abc"},
		{name: "id too long", id: "us-east-1:" + strings.Repeat("a", 46)},
		{name: "too many logins", id: id, logins: many},
		{name: "empty provider", id: id, logins: map[string]string{"": token}},
		{name: "provider too long", id: id, logins: map[string]string{strings.Repeat("p", 129): token}},
		{name: "empty token", id: id, logins: map[string]string{"idp.example.com": ""}},
		{name: "token too long", id: id, logins: map[string]string{"idp.example.com": strings.Repeat("t", 50001)}},
		{name: "custom role too short", id: id, role: "arn:aws:iam::1:r"},
		{name: "custom role too long", id: id, role: "arn:aws:iam::111122223333:role/" + strings.Repeat("r", 2048)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkFlowInput(tt.id, tt.logins, tt.role)
			if tt.ok {
				if err != nil {
					t.Fatalf("checkFlowInput: got %v, want nil", err)
				}
				return
			}
			e, ok := errors.AsType[*Error](err)
			if !ok || e.Code != CodeInvalidParameter {
				t.Fatalf("checkFlowInput: got %v, want InvalidParameterException", err)
			}
			if strings.Contains(e.Message, "secret-token") {
				t.Errorf("message echoes a token: %q", e.Message)
			}
		})
	}
}

// TestFlowsValidateFirst: both flows refuse malformed input before they
// look anything up (a zero Service would panic on a lookup).
func TestFlowsValidateFirst(t *testing.T) {
	s := &Service{}
	x := &request.Exchange{}
	if _, err := s.GetCredentialsForIdentity(context.Background(), &GetCredentialsForIdentityInput{IdentityId: "bad id"}, x); !isCode(err, CodeInvalidParameter) {
		t.Errorf("GetCredentialsForIdentity: got %v, want InvalidParameterException", err)
	}
	if _, err := s.GetCredentialsForIdentity(context.Background(), &GetCredentialsForIdentityInput{IdentityId: "us-east-1:abc", CustomRoleArn: "short"}, x); !isCode(err, CodeInvalidParameter) {
		t.Errorf("GetCredentialsForIdentity custom role: got %v, want InvalidParameterException", err)
	}
	if _, err := s.GetOpenIdToken(context.Background(), &GetOpenIdTokenInput{IdentityId: ""}, x); !isCode(err, CodeInvalidParameter) {
		t.Errorf("GetOpenIdToken: got %v, want InvalidParameterException", err)
	}
}

func TestSessionError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"trust denies", &sts.AccessDeniedError{Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}, CodeInvalidConfiguration},
		{"trust unscoped", fmt.Errorf("wrapped: %w", sts.ErrPoolTrustUnscoped), CodeInvalidConfiguration},
		{"validation", &sts.ValidationError{Message: "Tag value too long"}, CodeInvalidParameter},
		{"other", errors.New("store down"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sessionError(tt.err)
			if !errors.Is(got, tt.err) {
				t.Errorf("sessionError lost its cause: %v", got)
			}
			if tt.code == "" {
				if _, ok := errors.AsType[*Error](got); ok {
					t.Errorf("sessionError: got %v, want the error as is", got)
				}
				return
			}
			if !isCode(got, tt.code) {
				t.Errorf("sessionError: got %v, want %s", got, tt.code)
			}
			if e, _ := errors.AsType[*Error](got); tt.code == CodeInvalidConfiguration && e.Message != msgInvalidRoles {
				t.Errorf("message: got %q, want %q", e.Message, msgInvalidRoles)
			}
		})
	}
}

func isCode(err error, code string) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Code == code
}
