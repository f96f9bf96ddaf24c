package totp

import (
	"bytes"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rfcSeed is the SHA-1 seed of RFC 6238 Appendix B.
var rfcSeed = Seed{b: []byte("12345678901234567890")}

// TestRFC6238 checks the RFC's published SHA-1 values (8 digits), and that
// the 6-digit codes are their last six digits.
func TestRFC6238(t *testing.T) {
	tests := []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, tt := range tests {
		at := time.Unix(tt.unix, 0)
		if got := format(newGenerator(rfcSeed.b).at(Step(at), 8), 8); got != tt.want {
			t.Errorf("TOTP-8 at %d = %s, want %s", tt.unix, got, tt.want)
		}
		if got, want := Code(rfcSeed, at), tt.want[2:]; got != want {
			t.Errorf("Code at %d = %s, want %s", tt.unix, got, want)
		}
	}
}

var now = time.Unix(1111111111, 0)

func TestVerify(t *testing.T) {
	code := func(d time.Duration) string { return Code(rfcSeed, now.Add(d)) }
	cur := Step(now)
	tests := []struct {
		name     string
		code     string
		lastStep int64
		want     int64
		reason   Reason
	}{
		{"current", code(0), 0, cur, 0},
		{"previous step", code(-Period), 0, cur - 1, 0},
		{"next step", code(Period), 0, cur + 1, 0},
		{"two steps old", code(-2 * Period), 0, 0, Mismatch},
		{"two steps ahead", code(2 * Period), 0, 0, Mismatch},
		{"reused", code(0), cur, 0, Reused},
		{"older than last used", code(-Period), cur, 0, Reused},
		{"after last used", code(Period), cur, cur + 1, 0},
		{"short", "12345", 0, 0, Malformed},
		{"letters", "12a456", 0, 0, Malformed},
		{"eight digits", "94287082", 0, 0, Malformed},
	}
	for _, tt := range tests {
		got, err := Verify(rfcSeed, tt.code, now, tt.lastStep)
		if tt.reason == 0 {
			if err != nil || got != tt.want {
				t.Errorf("%s: Verify = %d, %v; want %d", tt.name, got, err, tt.want)
			}
			continue
		}
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Reason != tt.reason {
			t.Errorf("%s: Verify err = %v, want reason %v", tt.name, err, tt.reason)
		}
	}
}

func TestVerifyPair(t *testing.T) {
	c := func(steps int) string { return Code(rfcSeed, now.Add(time.Duration(steps)*Period)) }
	cur := Step(now)
	tests := []struct {
		name         string
		code1, code2 string
		window       int64
		want         int64
		ok           bool
	}{
		{"consecutive now", c(0), c(1), 1, cur + 1, true},
		{"consecutive earlier", c(-1), c(0), 1, cur, true},
		{"drifted within window", c(-5), c(-4), 10, cur - 4, true},
		{"drifted beyond window", c(-5), c(-4), 1, 0, false},
		{"not consecutive", c(0), c(2), 3, 0, false},
		{"swapped", c(1), c(0), 3, 0, false},
		{"malformed", "abc", c(0), 3, 0, false},
	}
	for _, tt := range tests {
		got, err := VerifyPair(rfcSeed, tt.code1, tt.code2, now, tt.window)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%s: VerifyPair = %d, %v; want %d, ok %v", tt.name, got, err, tt.want, tt.ok)
		}
	}
}

func TestSeed(t *testing.T) {
	var s32 [32]byte
	s, err := NewSeed(rand.NewChaCha8(s32))
	if err != nil {
		t.Fatal(err)
	}
	enc := s.Base32()
	if len(enc) != 64 || strings.Trim(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Errorf("Base32() = %d characters %q, want 64 of A-Z2-7", len(enc), enc)
	}
	for _, form := range []string{enc, strings.ToLower(enc), enc[:8] + " " + enc[8:]} {
		got, err := ParseBase32(form)
		if err != nil || !bytes.Equal(got.Bytes(), s.Bytes()) {
			t.Errorf("ParseBase32(%q) = %v; want the seed back", form, err)
		}
	}
	padded := base32.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 16)) // 26 characters and 6 "="
	if got, err := ParseBase32(padded); err != nil || !bytes.Equal(got.Bytes(), bytes.Repeat([]byte{7}, 16)) {
		t.Errorf("ParseBase32(%q) = %v; want 16 bytes of 7", padded, err)
	}
	for _, bad := range []string{"", "AAAA", "not base32!", "AAAAAAAAAAAAAAAAAAAAAAAA1"} {
		if _, err := ParseBase32(bad); err == nil {
			t.Errorf("ParseBase32(%q) succeeded", bad)
		}
	}
	u, err := url.Parse(s.URI("Brevet", "alice@123456789012"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{"scheme": u.Scheme, "host": u.Host, "path": u.Path}
	for k, v := range u.Query() {
		got[k] = v[0]
	}
	want := map[string]string{
		"scheme": "otpauth", "host": "totp", "path": "/Brevet:alice@123456789012",
		"secret": enc, "issuer": "Brevet", "algorithm": "SHA1", "digits": "6", "period": "30",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("URI (-want +got):\n%s", diff)
	}
}

func TestSeedRedaction(t *testing.T) {
	s := rfcSeed
	type wrapper struct{ S Seed }
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, wrapper{s}), fmt.Sprintf(verb, &s))
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "seed", s)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "seed", s)
	outs = append(outs, buf.String())
	_, err := ParseBase32("GEZDGNBVGY3TQOJQ!")
	outs = append(outs, err.Error())
	for _, out := range outs {
		for _, needle := range []string{"12345678901234567890", s.Base32(), "3132333435", "GEZDGNBVGY3TQOJQ"} {
			if strings.Contains(out, needle) {
				t.Fatalf("seed leaks: %s", out)
			}
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	code := Code(rfcSeed, now)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(rfcSeed, code, now, 0); err != nil {
			b.Fatal(err)
		}
	}
}
