package console

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTrustDocument: the wizard's trust policy for each trusted-entity
// type, built with encoding/json (a quote in an audience stays inside its
// string), and the form's refusals.
func TestTrustDocument(t *testing.T) {
	const oidc = "arn:aws:iam::111122223333:oidc-provider/token.example.com/ci"
	for _, tc := range []struct {
		name    string
		form    trustForm
		want    string // JSON, compared as values
		wantErr string
	}{
		{"service", trustForm{Type: trustService, Service: "ec2.amazonaws.com"},
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, ""},
		{"account with external id and MFA", trustForm{Type: trustAccount, AccountId: "444455556666", RequireExternalId: true, ExternalId: "Ext-1:a/b@c", RequireMFA: true},
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole",
			"Condition":{"StringEquals":{"sts:ExternalId":"Ext-1:a/b@c"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, ""},
		{"web identity with a quote in the audience", trustForm{Type: trustWeb, OIDCProvider: oidc, Audience: `a"},"x":{"`},
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + oidc + `"},"Action":"sts:AssumeRoleWithWebIdentity",
			"Condition":{"StringEquals":{"token.example.com/ci:aud":"a\"},\"x\":{\""}}}]}`, ""},
		// STS takes an external ID of 2 to 1224 of [\w+=,.@:/-]: another
		// could never be passed to AssumeRole.
		{"external id with a quote", trustForm{Type: trustAccount, AccountId: "444455556666", RequireExternalId: true, ExternalId: `a"},"x":{"`}, "", "external ID"},
		{"external id of one character", trustForm{Type: trustAccount, AccountId: "444455556666", RequireExternalId: true, ExternalId: "a"}, "", "external ID"},
		{"web identity", trustForm{Type: trustWeb, OIDCProvider: oidc, Audience: "sts.amazonaws.com"},
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + oidc + `"},"Action":"sts:AssumeRoleWithWebIdentity",
			"Condition":{"StringEquals":{"token.example.com/ci:aud":"sts.amazonaws.com"}}}]}`, ""},
		{"saml", trustForm{Type: trustSAML, SAMLProvider: "arn:aws:iam::111122223333:saml-provider/Corp", SAMLAudience: samlAudience},
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/Corp"},
			"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`, ""},
		{"service with a quote", trustForm{Type: trustService, Service: `ec2"x`}, "", "service principal"},
		{"short account", trustForm{Type: trustAccount, AccountId: "1234"}, "", "12 digits"},
		{"external id required but empty", trustForm{Type: trustAccount, AccountId: "444455556666", RequireExternalId: true}, "", "external ID"},
		{"no provider", trustForm{Type: trustWeb, Audience: "x"}, "", "OpenID Connect"},
		{"no audience", trustForm{Type: trustWeb, OIDCProvider: oidc}, "", "audience"},
		{"SAML provider not a SAML ARN", trustForm{Type: trustSAML, SAMLProvider: oidc}, "", "SAML"},
		{"empty custom", trustForm{Type: trustCustom}, "", "trust policy"},
		{"no type", trustForm{}, "", "trusted entity type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.form.document()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("document() = %q, %v; want an error with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal([]byte(got), &g); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, got)
			}
			if err := json.Unmarshal([]byte(tc.want), &w); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(w, g); d != "" {
				t.Errorf("trust policy (-want +got):\n%s", d)
			}
		})
	}
}

// TestDurationsWith: a role's maximum session duration is always among
// the choices, in order.
func TestDurationsWith(t *testing.T) {
	labels := func(ds []durationChoice) (out []string) {
		for _, d := range ds {
			out = append(out, strconv.Itoa(d.Seconds)+"="+d.Label)
		}
		return out
	}
	for _, c := range []struct {
		secs int
		want string
	}{
		{3600, "3600=1 hour,7200=2 hours,14400=4 hours,28800=8 hours,43200=12 hours"},
		{5400, "3600=1 hour,5400=1h30m,7200=2 hours,14400=4 hours,28800=8 hours,43200=12 hours"},
		{36000, "3600=1 hour,7200=2 hours,14400=4 hours,28800=8 hours,36000=10h,43200=12 hours"},
		{50000, "3600=1 hour,7200=2 hours,14400=4 hours,28800=8 hours,43200=12 hours,50000=13h53m20s"},
	} {
		if got := strings.Join(labels(durationsWith(c.secs)), ","); got != c.want {
			t.Errorf("durationsWith(%d) = %s, want %s", c.secs, got, c.want)
		}
	}
}
