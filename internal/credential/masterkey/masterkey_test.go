package masterkey

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)

func testRand(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func testKeyring(t testing.TB, seed byte) *Keyring {
	t.Helper()
	kr, err := Generate(testRand(seed), t0)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func wantOpenError(t *testing.T, err error, reason Reason) {
	t.Helper()
	var oe *OpenError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v, want *OpenError", err)
	}
	if oe.Reason != reason {
		t.Errorf("reason = %v, want %v", oe.Reason, reason)
	}
}

func TestSealOpen(t *testing.T) {
	kr := testKeyring(t, 1)
	tests := []struct {
		name      string
		plaintext []byte
		purpose   string
	}{
		{"secret access key", []byte("brevetTESTsecretKEY0123456789abcdefGHIJ+"), "access-key:AKIAQAAAAAAAAAAAAAAA"},
		{"empty plaintext", nil, "empty"},
		{"empty purpose", []byte{1, 2, 3}, ""},
		{"binary", bytes.Repeat([]byte{0, 0xff}, 1000), "token-key:tkABC"},
	}
	for _, tt := range tests {
		ct, err := kr.Seal(tt.plaintext, tt.purpose)
		if err != nil {
			t.Fatalf("%s: Seal: %v", tt.name, err)
		}
		if len(tt.plaintext) > 4 && bytes.Contains(ct, tt.plaintext) {
			t.Errorf("%s: ciphertext contains the plaintext", tt.name)
		}
		if id, err := KeyID(ct); err != nil || id != kr.ActiveID() {
			t.Errorf("%s: KeyID = %q, %v; want %q", tt.name, id, err, kr.ActiveID())
		}
		got, err := kr.Open(ct, tt.purpose)
		if err != nil {
			t.Fatalf("%s: Open: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.plaintext, got, cmp.Comparer(bytes.Equal)); diff != "" {
			t.Errorf("%s: Open(Seal(p)) (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	kr := testKeyring(t, 1)
	ct, err := kr.Seal([]byte("secret"), "access-key:AKIA1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		kr      *Keyring
		ct      []byte
		purpose string
		reason  Reason
	}{
		{"other row", kr, ct, "access-key:AKIA2", Forged},
		{"other kind", kr, ct, "mfa-seed:AKIA1", Forged},
		{"other keyring", testKeyring(t, 2), ct, "access-key:AKIA1", UnknownKey},
		{"same id, other material", sameIDOtherMaterial(t, kr), ct, "access-key:AKIA1", Forged},
		{"nil", kr, nil, "access-key:AKIA1", Malformed},
		{"truncated", kr, ct[:len(ct)-17], "access-key:AKIA1", Malformed},
		{"wrong version", kr, append([]byte{9}, ct[1:]...), "access-key:AKIA1", Malformed},
	}
	for _, tt := range tests {
		_, err := tt.kr.Open(tt.ct, tt.purpose)
		wantOpenError(t, err, tt.reason)
	}
	for i := range ct {
		b := bytes.Clone(ct)
		b[i] ^= 0x01
		if _, err := kr.Open(b, "access-key:AKIA1"); err == nil {
			t.Fatalf("flipping byte %d: Open succeeded", i)
		}
	}
}

func sameIDOtherMaterial(t *testing.T, kr *Keyring) *Keyring {
	k, err := NewKey(kr.ActiveID(), bytes.Repeat([]byte{7}, KeyLen))
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(k)
	if err != nil {
		t.Fatal(err)
	}
	return other
}

func TestRotateRewrap(t *testing.T) {
	old := testKeyring(t, 1)
	ct, err := old.Seal([]byte("secret"), "access-key:AKIA1")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := old.Rotate(testRand(3), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if kr.ActiveID() == old.ActiveID() {
		t.Fatal("Rotate kept the active key")
	}
	if diff := cmp.Diff(2, len(kr.IDs())); diff != "" {
		t.Errorf("key count (-want +got):\n%s", diff)
	}
	// Old ciphertexts still open; new ones are sealed by the new key.
	if got, err := kr.Open(ct, "access-key:AKIA1"); err != nil || string(got) != "secret" {
		t.Errorf("Open(old ciphertext) = %q, %v", got, err)
	}
	fresh, _ := kr.Seal([]byte("x"), "p")
	if id, _ := KeyID(fresh); id != kr.ActiveID() {
		t.Errorf("new ciphertext sealed by %q, want %q", id, kr.ActiveID())
	}
	// Rewrap moves it to the active key, once.
	re, changed, err := kr.Rewrap(ct, "access-key:AKIA1")
	if err != nil || !changed {
		t.Fatalf("Rewrap = changed %v, %v; want changed", changed, err)
	}
	if id, _ := KeyID(re); id != kr.ActiveID() {
		t.Errorf("rewrapped under %q, want %q", id, kr.ActiveID())
	}
	again, changed, err := kr.Rewrap(re, "access-key:AKIA1")
	if err != nil || changed || !bytes.Equal(again, re) {
		t.Errorf("Rewrap of current ciphertext: changed %v, %v; want unchanged", changed, err)
	}
	// Rewrap keeps the purpose binding and refuses forgeries.
	if _, err := kr.Open(re, "access-key:AKIA2"); err == nil {
		t.Error("rewrapped ciphertext opened for another purpose")
	}
	if _, _, err := kr.Rewrap(ct, "access-key:AKIA2"); err == nil {
		t.Error("Rewrap accepted the wrong purpose")
	}
	if _, _, err := kr.Rewrap(re, "access-key:AKIA2"); err == nil {
		t.Error("Rewrap accepted the wrong purpose for a current ciphertext")
	}
	// Once everything is rewrapped the old key can go.
	pruned, err := kr.Without(old.ActiveID())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pruned.Open(re, "access-key:AKIA1"); err != nil || string(got) != "secret" {
		t.Errorf("Open(rewrapped) after removing old key = %q, %v", got, err)
	}
	_, err = pruned.Open(ct, "access-key:AKIA1")
	wantOpenError(t, err, UnknownKey)
	if _, err := pruned.Without(pruned.ActiveID()); err == nil {
		t.Error("Without(active) succeeded")
	}
}

func TestFromEnv(t *testing.T) {
	material := bytes.Repeat([]byte{0x42}, KeyLen)
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"std", base64.StdEncoding.EncodeToString(material), true},
		{"raw std", base64.RawStdEncoding.EncodeToString(material), true},
		{"url", base64.URLEncoding.EncodeToString(material), true},
		{"trailing newline", base64.StdEncoding.EncodeToString(material) + "\n", true},
		{"empty", "", false},
		{"short", base64.StdEncoding.EncodeToString(material[:16]), false},
		{"not base64", strings.Repeat("!", 44), false},
		{"hex", hex.EncodeToString(material), false},
	}
	var firstID string
	for _, tt := range tests {
		kr, err := FromEnv(tt.value)
		if (err == nil) != tt.ok {
			t.Errorf("%s: FromEnv err = %v, want ok %v", tt.name, err, tt.ok)
			continue
		}
		if err != nil {
			if tt.value != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.value)) {
				t.Errorf("%s: error %q echoes the value", tt.name, err)
			}
			continue
		}
		if !strings.HasPrefix(kr.ActiveID(), "env-") {
			t.Errorf("%s: id %q, want env- prefix", tt.name, kr.ActiveID())
		}
		if firstID == "" {
			firstID = kr.ActiveID()
		} else if kr.ActiveID() != firstID {
			t.Errorf("%s: id %q, want %q (same material)", tt.name, kr.ActiveID(), firstID)
		}
	}
	other, _ := FromEnv(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, KeyLen)))
	if other.ActiveID() == firstID {
		t.Error("different keys share an id")
	}
}

func TestKeyFile(t *testing.T) {
	kr := testKeyring(t, 1)
	kr, err := kr.Rotate(testRand(2), t0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := kr.MarshalKeyFile()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseKeyFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.ActiveID() != kr.ActiveID() || !cmp.Equal(got.IDs(), kr.IDs()) {
		t.Errorf("ParseKeyFile(MarshalKeyFile) = %v, want %v", got, kr)
	}
	ct, _ := kr.Seal([]byte("s"), "p")
	if _, err := got.Open(ct, "p"); err != nil {
		t.Errorf("parsed keyring cannot open: %v", err)
	}

	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, KeyLen))
	bad := []struct{ name, file string }{
		{"not json", `{`},
		{"no version", `{"keys":[{"id":"a","key":"` + key + `","active":true}]}`},
		{"no active", `{"version":1,"keys":[{"id":"a","key":"` + key + `"}]}`},
		{"two active", `{"version":1,"keys":[{"id":"a","key":"` + key + `","active":true},{"id":"b","key":"` + key + `","active":true}]}`},
		{"duplicate id", `{"version":1,"keys":[{"id":"a","key":"` + key + `","active":true},{"id":"a","key":"` + key + `"}]}`},
		{"unknown field", `{"version":1,"keys":[{"id":"a","key":"` + key + `","active":true,"primary":true}]}`},
		{"short key", `{"version":1,"keys":[{"id":"a","key":"AAAA","active":true}]}`},
		{"empty id", `{"version":1,"keys":[{"id":"","key":"` + key + `","active":true}]}`},
		{"key with wrong type", `{"version":1,"keys":[{"id":"a","key":12345,"active":true}]}`},
	}
	for _, tt := range bad {
		_, err := ParseKeyFile([]byte(tt.file))
		if err == nil {
			t.Errorf("%s: ParseKeyFile succeeded", tt.name)
			continue
		}
		if strings.Contains(err.Error(), key) {
			t.Errorf("%s: error %q carries key material", tt.name, err)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	kr, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreateKeyFile = created %v, %v; want created", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("mode = %o, want 600", mode)
	}
	ct, _ := kr.Seal([]byte("s"), "p")
	again, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreateKeyFile = created %v, %v; want loaded", created, err)
	}
	if _, err := again.Open(ct, "p"); err != nil {
		t.Errorf("reloaded keyring cannot open: %v", err)
	}
	// Rotation is written back atomically and keeps the old key.
	rotated, err := again.Rotate(testRand(5), t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(path, rotated); err != nil {
		t.Fatal(err)
	}
	reloaded, _, err := LoadOrCreateKeyFile(path)
	if err != nil || reloaded.ActiveID() != rotated.ActiveID() {
		t.Fatalf("after WriteKeyFile active = %v, %v; want %s", reloaded, err, rotated.ActiveID())
	}
	if _, err := reloaded.Open(ct, "p"); err != nil {
		t.Errorf("rotated keyring cannot open old ciphertext: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only master.key", len(entries))
	}
	if _, _, err := LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "missing-dir", "master.key")); err == nil {
		t.Error("LoadOrCreateKeyFile in a missing directory succeeded")
	}
}

func TestLoadOrCreateKeyFileRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 8
	ids := make([]string, n)
	var created int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kr, c, err := LoadOrCreateKeyFile(path)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[i] = kr.ActiveID()
			if c {
				created++
			}
		}()
	}
	wg.Wait()
	if created != 1 {
		t.Errorf("%d callers created the file, want 1", created)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("callers disagree on the key: %v", ids)
		}
	}
}

func TestRedaction(t *testing.T) {
	kr := testKeyring(t, 1)
	k := kr.active.key
	material := k.material[:]
	needles := []string{string(material), hex.EncodeToString(material), base64.StdEncoding.EncodeToString(material), base64.RawStdEncoding.EncodeToString(material), fmt.Sprint(material)[1:20]}
	type wrapper struct{ V any }
	for _, v := range []any{k, &k, kr} {
		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
			outs = append(outs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, wrapper{v}))
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", v)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", v)
		outs = append(outs, buf.String())
		for _, out := range outs {
			for _, n := range needles {
				if strings.Contains(out, n) {
					t.Fatalf("%T prints key material: %s", v, out)
				}
			}
		}
	}
}

func TestLoad(t *testing.T) {
	env := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, KeyLen))
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "keys.json")
	data, _ := testKeyring(t, 1).MarshalKeyFile()
	if err := os.WriteFile(keyFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	tests := []struct {
		name                  string
		env, keyFile, dataDir string
		want                  Source
	}{
		{"env", env, "", dataDir, SourceEnv},
		{"key file", "", keyFile, dataDir, SourceKeyFile},
		{"generated", "", "", dataDir, SourceGenerated},
		{"data dir", "", "", dataDir, SourceDataDir},
		{"both env and key file", env, keyFile, "", 0},
		{"missing key file", "", filepath.Join(dir, "nope.json"), dataDir, 0},
		{"nothing", "", "", "", 0},
	}
	for _, tt := range tests {
		kr, src, err := Load(tt.env, tt.keyFile, tt.dataDir)
		if tt.want == 0 {
			if err == nil {
				t.Errorf("%s: Load succeeded from %v", tt.name, src)
			}
			continue
		}
		if err != nil || src != tt.want || kr == nil {
			t.Errorf("%s: Load = %v, %v; want %v", tt.name, src, err, tt.want)
		}
	}
}
