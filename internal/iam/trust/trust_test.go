package trust_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/trust"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

const (
	acct    = "111122223333"
	other   = "444455556666" // held too
	foreign = "999999999999" // not held
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	for _, a := range []string{acct, other} {
		must(t, st.Accounts().Create(ctx, iam.Account{ID: a, Created: now}))
	}
	must(t, st.Users().Create(ctx, iam.User{Account: acct, ID: "AIDAANN00000000000001", Name: "ann", Path: "/eng/", Created: now}))
	must(t, st.Users().Create(ctx, iam.User{Account: other, ID: "AIDABOB00000000000002", Name: "bob", Path: "/", Created: now}))
	must(t, st.Roles().Create(ctx, iam.Role{Account: acct, ID: "AROADEV00000000000003", Name: "dev", Path: "/", Created: now,
		TrustPolicy: trustOf(acct), MaxSessionDuration: 3600}))
	return st
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func trustOf(principals ...string) string {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[`
	for i, p := range principals {
		if i > 0 {
			doc += ","
		}
		doc += `"` + p + `"`
	}
	return doc + `]},"Action":"sts:AssumeRole"}]}`
}

func TestBind(t *testing.T) {
	st := openStore(t)
	ann := "arn:aws:iam::" + acct + ":user/eng/ann"
	bob := "arn:aws:iam::" + other + ":user/bob"
	dev := "arn:aws:iam::" + acct + ":role/dev"
	devSession := "arn:aws:sts::" + acct + ":assumed-role/dev/any"
	missing := "arn:aws:iam::" + acct + ":user/nobody"
	far := "arn:aws:iam::" + foreign + ":role/x"
	tests := []struct {
		name       string
		principals []string
		opts       trust.Options
		want       []iam.PrincipalBinding
		wantBad    string // the principal refused
	}{
		{"users, roles and sessions of held accounts", []string{ann, bob, dev, devSession},
			trust.Options{}, []iam.PrincipalBinding{{ARN: ann, ID: "AIDAANN00000000000001"}, {ARN: bob, ID: "AIDABOB00000000000002"},
				{ARN: dev, ID: "AROADEV00000000000003"}, {ARN: devSession, ID: "AROADEV00000000000003"}}, ""},
		{"names are case-insensitive", []string{"arn:aws:iam::" + acct + ":user/eng/ANN"}, trust.Options{},
			[]iam.PrincipalBinding{{ARN: "arn:aws:iam::" + acct + ":user/eng/ANN", ID: "AIDAANN00000000000001"}}, ""},
		{"never bound", []string{"*", acct, "arn:aws:iam::" + acct + ":root", "arn:aws:sts::" + acct + ":federated-user/f",
			"AIDAGONE0000000000009"}, trust.Options{}, []iam.PrincipalBinding{}, ""},
		{"a user that does not exist", []string{ann, missing}, trust.Options{}, nil, missing},
		{"a user on another path", []string{"arn:aws:iam::" + acct + ":user/ann"}, trust.Options{}, nil, "arn:aws:iam::" + acct + ":user/ann"},
		{"a session of a role that does not exist", []string{"arn:aws:sts::" + acct + ":assumed-role/nope/s"}, trust.Options{}, nil,
			"arn:aws:sts::" + acct + ":assumed-role/nope/s"},
		{"an account not held", []string{far}, trust.Options{}, nil, far},
		{"another partition", []string{"arn:aws-cn:iam::" + acct + ":user/eng/ann"}, trust.Options{}, nil, "arn:aws-cn:iam::" + acct + ":user/eng/ann"},
		{"import keeps foreign principals unbound", []string{far, ann}, trust.Options{KeepForeign: true},
			[]iam.PrincipalBinding{{ARN: ann, ID: "AIDAANN00000000000001"}}, ""},
		{"import refuses a missing principal of a held account", []string{missing}, trust.Options{KeepForeign: true}, nil, missing},
		{"upgrade binds a missing principal to no one", []string{missing, far, ann}, trust.Options{Upgrade: true},
			[]iam.PrincipalBinding{{ARN: missing, ID: ""}, {ARN: ann, ID: "AIDAANN00000000000001"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := policy.Parse([]byte(trustOf(tt.principals...)))
			must(t, err)
			got, err := trust.Bind(context.Background(), st, doc, tt.opts)
			if tt.wantBad != "" {
				var me *policy.MalformedError
				want := `Invalid principal in policy: "AWS":"` + tt.wantBad + `"`
				if !errors.As(err, &me) || me.Message != want {
					t.Errorf("got %v, %v; want %s", got, err, want)
				}
				return
			}
			must(t, err)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("bindings (-want +got):\n%s", d)
			}
		})
	}
}

// TestBindUnbound: roles saved before binding existed (nil bindings) are
// bound at start; roles already bound are left alone.
func TestBindUnbound(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	ann := "arn:aws:iam::" + acct + ":user/eng/ann"
	missing := "arn:aws:iam::" + acct + ":user/nobody"
	must(t, st.Roles().Create(ctx, iam.Role{Account: acct, ID: "AROAOLD00000000000004", Name: "old", Path: "/", Created: now,
		TrustPolicy: trustOf(ann, missing), MaxSessionDuration: 3600}))
	kept := []iam.PrincipalBinding{{ARN: ann, ID: "AIDAEARLIER0000000005"}}
	must(t, st.Roles().Create(ctx, iam.Role{Account: acct, ID: "AROANEW00000000000006", Name: "new", Path: "/", Created: now,
		TrustPolicy: trustOf(ann), MaxSessionDuration: 3600, TrustBindings: kept}))

	n, err := trust.BindUnbound(ctx, st)
	must(t, err)
	if n != 2 { // old, and dev (trusting the account: bound to none)
		t.Errorf("bound %d roles, want 2", n)
	}
	for _, tc := range []struct {
		role string
		want []iam.PrincipalBinding
	}{
		{"old", []iam.PrincipalBinding{{ARN: ann, ID: "AIDAANN00000000000001"}, {ARN: missing}}},
		{"dev", []iam.PrincipalBinding{}},
		{"new", kept},
	} {
		r, err := st.Roles().Get(ctx, acct, tc.role)
		must(t, err)
		if d := cmp.Diff(tc.want, r.TrustBindings); d != "" {
			t.Errorf("%s: bindings (-want +got):\n%s", tc.role, d)
		}
	}
	if n, err := trust.BindUnbound(ctx, st); err != nil || n != 0 {
		t.Errorf("second run: bound %d, %v; want none", n, err)
	}
}

// TestShow: a bound principal that no longer exists is shown as its
// unique id, one bound to no one as written.
func TestShow(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	ann := "arn:aws:iam::" + acct + ":user/eng/ann"
	gone := "arn:aws:iam::" + acct + ":role/gone"
	missing := "arn:aws:iam::" + acct + ":user/nobody"
	role := iam.Role{TrustPolicy: trustOf(ann, gone, missing), TrustBindings: []iam.PrincipalBinding{
		{ARN: ann, ID: "AIDAANN00000000000001"}, {ARN: gone, ID: "AROAGONE0000000000007"}, {ARN: missing}}}
	got, err := trust.NewShower(st).Show(ctx, &role)
	must(t, err)
	if want := trustOf(ann, "AROAGONE0000000000007", missing); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
