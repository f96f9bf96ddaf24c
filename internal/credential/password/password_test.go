package password

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

// testParams keep the tests fast; the format and logic are the same.
var testParams = Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newHasher(t testing.TB, p Params, n int) *Hasher {
	t.Helper()
	h, err := NewHasher(p, n, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashVerify(t *testing.T) {
	h := newHasher(t, testParams, 2)
	ctx := t.Context()
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$"), true; got != want {
		t.Fatalf("encoded %q: prefix got %v, want %v", enc, got, want)
	}
	if strings.Contains(enc, "correct horse") {
		t.Fatal("the encoded hash contains the password")
	}
	again, _ := h.Hash(ctx, "correct horse")
	if again == enc {
		t.Error("two hashes of one password are equal: the salt is not fresh")
	}
	tests := []struct {
		name, pw string
		want     bool
	}{
		{"right", "correct horse", true},
		{"wrong", "correct horsE", false},
		{"empty", "", false},
		{"prefix", "correct", false},
	}
	for _, tt := range tests {
		got, err := h.Verify(ctx, enc, tt.pw)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if err := h.VerifyDummy(ctx, "anything"); err != nil {
		t.Errorf("VerifyDummy: %v", err)
	}
	if h.NeedsRehash(enc) {
		t.Error("NeedsRehash on a hash made with the current parameters")
	}
	other := newHasher(t, Params{Memory: 2048, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 1)
	if !other.NeedsRehash(enc) {
		t.Error("NeedsRehash false for other parameters")
	}
	// A hasher with other parameters still verifies old hashes: the
	// parameters travel with the hash.
	if ok, err := other.Verify(ctx, enc, "correct horse"); !ok || err != nil {
		t.Errorf("Verify with changed parameters: got %v, %v", ok, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := newHasher(t, testParams, 1)
	salt, key := "AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for _, enc := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=1024,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=1024,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key, // 4 TiB: refused, not allocated
		"$argon2id$v=19$m=1024,t=99,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=1024,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=1024,t=1,p=1$!!$" + key,
		"$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$AAAA",
		"$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$" + key + "$",
	} {
		if ok, err := h.Verify(t.Context(), enc, "x"); ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q): got %v, %v; want false, ErrMalformed", enc, ok, err)
		}
	}
}

func TestNewHasherBounds(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: maxMemory + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 1024, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
	} {
		if _, err := NewHasher(p, 1, rand.Reader); err == nil {
			t.Errorf("NewHasher(%+v): no error", p)
		}
	}
}

// TestConcurrencyBound: with every slot taken, a hash waits, and gives up
// with its context.
func TestConcurrencyBound(t *testing.T) {
	h := newHasher(t, testParams, 1)
	if err := h.acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash with no free slot: got %v, want DeadlineExceeded", err)
	}
	h.release()
	if _, err := h.Hash(t.Context(), "pw"); err != nil {
		t.Errorf("Hash after release: %v", err)
	}
}

// BenchmarkVerifyDefault measures one verification with DefaultParams:
// the cost of a sign-in (docs/benchmarks.md).
func BenchmarkVerifyDefault(b *testing.B) {
	h := newHasher(b, DefaultParams, 2)
	enc, err := h.Hash(b.Context(), "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := h.Verify(b.Context(), enc, "correct horse battery staple"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
