package credential

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// leaks reports which rendering of v contains any of the needles.
func leaks(t *testing.T, v any, needles ...string) []string {
	t.Helper()
	var out []string
	check := func(how, s string) {
		for _, n := range needles {
			if n != "" && strings.Contains(s, n) {
				out = append(out, how)
			}
		}
	}
	type wrapper struct{ V any }
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		check(verb, fmt.Sprintf(verb, v))
		check(verb+" wrapped", fmt.Sprintf(verb, wrapper{v}))
		check(verb+" in slice", fmt.Sprintf(verb, []any{v}))
	}
	check("Sprint", fmt.Sprint(v))
	check("Sprintln", fmt.Sprintln(v))
	check("error wrap", fmt.Errorf("failed for %v", v).Error())
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("msg", "v", v, slog.Any("any", v), slog.Group("g", "v", v))
		check(name, buf.String())
	}
	if b, err := json.Marshal(v); err == nil {
		check("json", string(b))
	}
	return out
}

func TestRedaction(t *testing.T) {
	r := newRing(t)
	creds, claims := mint(t, r, fullClaims())
	secret := creds.SecretAccessKey.Reveal()
	material := r.state.Load().active.key[:]
	keyForms := []string{string(material), hex.EncodeToString(material), base64.StdEncoding.EncodeToString(material), fmt.Sprint(material)[1:20]}
	tests := []struct {
		name    string
		v       any
		needles []string
	}{
		{"Secret", creds.SecretAccessKey, []string{secret}},
		{"*Secret", &creds.SecretAccessKey, []string{secret}},
		{"TemporaryCredentials", creds, []string{secret, creds.SessionToken}},
		{"*TemporaryCredentials", &creds, []string{secret, creds.SessionToken}},
		{"Claims", claims, []string{secret}},
		{"*Claims", &claims, []string{secret}},
		{"TokenKeyRing", r, keyForms},
	}
	for _, tt := range tests {
		if got := leaks(t, tt.v, tt.needles...); len(got) > 0 {
			t.Errorf("%s leaks its secret through %v", tt.name, got)
		}
	}
	// What is printed still identifies the credential.
	if s := fmt.Sprint(claims); !strings.Contains(s, claims.AccessKeyID) || !strings.Contains(s, Redacted) {
		t.Errorf("Claims prints %q: want the access key id and %s", s, Redacted)
	}
}

func TestErrorsCarryNoSecret(t *testing.T) {
	r := newRing(t)
	creds, _ := mint(t, r, fullClaims())
	raw := mustDecode(creds.SessionToken)
	raw[len(raw)-1] ^= 1
	_, err := r.Open(base64.StdEncoding.EncodeToString(raw), creds.AccessKeyID, t0)
	if err == nil {
		t.Fatal("tampered token opened")
	}
	for _, needle := range []string{creds.SecretAccessKey.Reveal(), creds.SessionToken[20:60]} {
		if strings.Contains(err.Error(), needle) || strings.Contains(fmt.Sprintf("%#v", err), needle) {
			t.Errorf("error %q carries secret material", err)
		}
	}
}
