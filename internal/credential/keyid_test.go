package credential

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testRand is a deterministic randomness source, so failures reproduce.
func testRand(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func isBase32(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func TestAccessKeyIDRoundTrip(t *testing.T) {
	accounts := []string{"000000000000", "000000000001", "123456789012", "999999999999", "100000000000", "549755813887"}
	prefixes := []Prefix{PrefixAccessKey, PrefixTemporaryAccessKey}
	rnd := testRand(1)
	for _, p := range prefixes {
		for _, acct := range accounts {
			for range 50 {
				id, err := NewAccessKeyID(p, acct, rnd)
				if err != nil {
					t.Fatalf("NewAccessKeyID(%s, %s): %v", p, acct, err)
				}
				if len(id) != AccessKeyIDLen || !strings.HasPrefix(id, string(p)) || !isBase32(id) {
					t.Fatalf("NewAccessKeyID(%s, %s) = %q: want %d chars of A-Z2-7 starting %s", p, acct, id, AccessKeyIDLen, p)
				}
				// Bit 47 is set, as in current AWS ids: the fifth
				// character is Q-Z or 2-7.
				if c := id[4]; !(c >= 'Q' && c <= 'Z' || c >= '2' && c <= '7') {
					t.Errorf("id %q: fifth character %q, want Q-Z or 2-7", id, c)
				}
				got, err := ParseID(id)
				want := ID{Prefix: p, AccountID: acct}
				if err != nil || got != want {
					t.Fatalf("ParseID(%q) = %+v, %v; want %+v", id, got, err, want)
				}
			}
		}
	}
}

func TestUniqueIDRoundTrip(t *testing.T) {
	rnd := testRand(2)
	for _, p := range []Prefix{PrefixUser, PrefixRole, PrefixGroup, PrefixManagedPolicy, PrefixPolicyVersion, PrefixInstanceProfile, PrefixPublicKey, PrefixCertificate} {
		id, err := NewUniqueID(p, "123456789012", rnd)
		if err != nil {
			t.Fatalf("NewUniqueID(%s): %v", p, err)
		}
		if len(id) != UniqueIDLen || !strings.HasPrefix(id, string(p)) || !isBase32(id) {
			t.Errorf("NewUniqueID(%s) = %q: want %d chars of A-Z2-7", p, id, UniqueIDLen)
		}
		got, err := ParseID(id)
		if want := (ID{Prefix: p, AccountID: "123456789012"}); err != nil || got != want {
			t.Errorf("ParseID(%q) = %+v, %v; want %+v", id, got, err, want)
		}
	}
}

// TestAccountIDKnownAnswer pins the bit layout on hand-built payloads: the
// first six bytes big-endian, masked with 0x7fffffffff80, shifted right 7.
func TestAccountIDKnownAnswer(t *testing.T) {
	tests := []struct {
		payload [10]byte
		want    string
	}{
		{[10]byte{0x80, 0, 0, 0, 0, 0}, "000000000000"},
		{[10]byte{0x80, 0, 0, 0, 0, 0x80}, "000000000001"},
		{[10]byte{0x80, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff}, "000000000000"}, // random bits ignored
		{[10]byte{0x00, 0, 0, 0, 0, 0x80}, "000000000001"},                         // bit 47 ignored
		{[10]byte{0x8e, 0x5f, 0x4c, 0x8d, 0x0a, 0x00}, "123456789012"},             // 0x1CBE991A14 << 7, bit 47 set
		{[10]byte{0xf4, 0x6a, 0x52, 0x87, 0xff, 0x80}, "999999999999"},             // 0xE8D4A50FFF << 7, bit 47 set
	}
	for _, tt := range tests {
		id := "AKIA" + b32.EncodeToString(tt.payload[:])
		got, err := AccountIDFromID(id)
		if err != nil || got != tt.want {
			t.Errorf("AccountIDFromID(%q) = %q, %v; want %q", id, got, err, tt.want)
		}
	}
}

func TestParseIDErrors(t *testing.T) {
	valid, err := NewAccessKeyID(PrefixAccessKey, "123456789012", testRand(3))
	if err != nil {
		t.Fatal(err)
	}
	role, err := NewUniqueID(PrefixRole, "123456789012", testRand(3))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id string
	}{
		{"empty", ""},
		{"short", valid[:19]},
		{"long", valid + "A"},
		{"unknown prefix", "AXYZ" + valid[4:]},
		{"lower case", strings.ToLower(valid)},
		{"digit 0", valid[:10] + "0" + valid[11:]},
		{"digit 8", valid[:10] + "8" + valid[11:]},
		{"padding", valid[:19] + "="},
		{"access key prefix with unique id length", "AKIA" + role[4:]},
		{"unique prefix with access key length", "AROA" + valid[4:]},
		{"account out of range", "AKIA" + b32.EncodeToString([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})},
	}
	for _, tt := range tests {
		got, err := ParseID(tt.id)
		var ae *AccessKeyIDError
		if !errors.As(err, &ae) {
			t.Errorf("%s: ParseID(%q) = %+v, %v; want *AccessKeyIDError", tt.name, tt.id, got, err)
		}
	}
}

func TestNewIDRejects(t *testing.T) {
	tests := []struct {
		name    string
		prefix  Prefix
		account string
		unique  bool
	}{
		{"short account", PrefixAccessKey, "12345678901", false},
		{"non-digit account", PrefixAccessKey, "12345678901a", false},
		{"signed account", PrefixAccessKey, "+12345678901", false},
		{"unique prefix as key", PrefixRole, "123456789012", false},
		{"key prefix as unique", PrefixAccessKey, "123456789012", true},
		{"unknown prefix", Prefix("AXYZ"), "123456789012", true},
	}
	for _, tt := range tests {
		var err error
		if tt.unique {
			_, err = NewUniqueID(tt.prefix, tt.account, testRand(4))
		} else {
			_, err = NewAccessKeyID(tt.prefix, tt.account, testRand(4))
		}
		if err == nil {
			t.Errorf("%s: got nil error, want one", tt.name)
		}
	}
}

func TestSecretAccessKey(t *testing.T) {
	rnd := testRand(5)
	seen := map[string]bool{}
	for range 100 {
		s, err := NewSecretAccessKey(rnd)
		if err != nil {
			t.Fatal(err)
		}
		v := s.Reveal()
		if len(v) != SecretAccessKeyLen {
			t.Fatalf("len(secret) = %d, want %d", len(v), SecretAccessKeyLen)
		}
		if strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != "" {
			t.Fatalf("secret has characters outside [A-Za-z0-9+/]")
		}
		if seen[v] {
			t.Fatal("secret repeated")
		}
		seen[v] = true
		if !s.Equal(NewSecret(v)) || s.Equal(NewSecret(v[:39]+"x")) {
			t.Error("Secret.Equal disagrees with string equality")
		}
	}
}

func TestIDsAreDistinct(t *testing.T) {
	rnd := testRand(6)
	seen := map[string]bool{}
	for range 1000 {
		id, err := NewAccessKeyID(PrefixTemporaryAccessKey, "123456789012", rnd)
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("id %s repeated", id)
		}
		seen[id] = true
	}
	if diff := cmp.Diff(1000, len(seen)); diff != "" {
		t.Errorf("distinct ids (-want +got):\n%s", diff)
	}
}
