package credential

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)

var secretEqual = cmp.Comparer(func(a, b Secret) bool { return a.Equal(b) })

// fullClaims sets every field, so a round trip checks every field.
func fullClaims() Claims {
	return Claims{
		AccountID:     "123456789012",
		PrincipalType: AssumedRole,
		PrincipalARN:  "arn:aws:iam::123456789012:role/deploy/Builder",
		PrincipalID:   "AROAQAAAAAAAAAAAAAAAB",
		SessionARN:    "arn:aws:sts::123456789012:assumed-role/Builder/ci-42",
		SessionName:   "ci-42",
		IssuedAt:      t0,
		Expires:       t0.Add(time.Hour),
		Policy:        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`,
		PolicyARNs: []string{
			"arn:aws:iam::aws:policy/ReadOnlyAccess",
			"arn:aws:iam::123456789012:policy/Limits",
		},
		Tags:              []Tag{{Key: "Project", Value: "Brevet"}, {Key: "CostCenter", Value: "12345"}},
		TransitiveTagKeys: []string{"Project"},
		SourceIdentity:    "alice@example.com",
		Provider:          "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
		Subject:           "repo:brevet-dev/brevet:ref:refs/heads/main",
		MFAAuthenticated:  true,
		MFAAuthTime:       t0.Add(-5 * time.Minute),
		ParentAccessKeyID: "ASIAQAAAAAAAAAAAAAAA",
		RootAccessKeyID:   "AKIAQAAAAAAAAAAAAAAA",
		Lineage: []Ancestor{
			{AccessKeyID: "ASIAQAAAAAAAAAAAAAAA", PrincipalARN: "arn:aws:iam::123456789012:role/Deployer",
				SessionARN: "arn:aws:sts::123456789012:assumed-role/Deployer/pipeline", IssuedAt: t0.Add(-10 * time.Minute)},
			{AccessKeyID: "ASIAQAAAAAAAAAAAAAAB", PrincipalARN: "arn:aws:iam::123456789012:user/alice",
				SessionARN: "arn:aws:iam::123456789012:user/alice", IssuedAt: t0.Add(-2 * time.Hour)},
		},
	}
}

func newRing(t testing.TB) *TokenKeyRing {
	t.Helper()
	r, err := NewTokenKeyRing(testRand(10), t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var mintSeed byte = 100

func mint(t testing.TB, r *TokenKeyRing, c Claims) (TemporaryCredentials, Claims) {
	t.Helper()
	mintSeed++
	creds, sealed, err := r.Mint(c, testRand(mintSeed))
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	return creds, sealed
}

func TestTokenRoundTrip(t *testing.T) {
	big := fullClaims()
	big.Policy = `{"Version":"2012-10-17","Statement":[` + strings.Repeat(`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/prefix/*"},`, 12) + `{"Effect":"Deny","Action":"*","Resource":"*"}]}`
	tests := []struct {
		name   string
		claims Claims
	}{
		{"every field", fullClaims()},
		{"compressed packing", big},
		{"minimal", Claims{AccountID: "000000000001", PrincipalType: SessionUser, IssuedAt: t0, Expires: t0.Add(15 * time.Minute)}},
		{"federated user", Claims{AccountID: "123456789012", PrincipalType: FederatedUser, PrincipalARN: "arn:aws:sts::123456789012:federated-user/bob", SessionARN: "arn:aws:sts::123456789012:federated-user/bob", IssuedAt: t0, Expires: t0.Add(MaxSessionDuration)}},
		{"unicode and empty strings", Claims{AccountID: "123456789012", PrincipalType: SAML, SessionName: "Zoë", Tags: []Tag{{Key: "k", Value: ""}, {Key: "名前", Value: "値"}}, IssuedAt: t0, Expires: t0.Add(time.Hour)}},
	}
	r := newRing(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds, want := mint(t, r, tt.claims)
			got, err := r.Open(creds.SessionToken, creds.AccessKeyID, t0.Add(time.Minute))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if diff := cmp.Diff(want, got, secretEqual); diff != "" {
				t.Errorf("Open(Seal(c)) (-want +got):\n%s", diff)
			}
			if !got.SecretAccessKey.Equal(creds.SecretAccessKey) || got.AccessKeyID != creds.AccessKeyID {
				t.Error("claims do not carry the minted key pair")
			}
			if _, err := base64.StdEncoding.DecodeString(creds.SessionToken); err != nil {
				t.Errorf("token is not standard base64: %v", err)
			}
		})
	}
}

func TestMintFillsCredentials(t *testing.T) {
	r := newRing(t)
	creds, c := mint(t, r, fullClaims())
	id, err := ParseID(creds.AccessKeyID)
	if err != nil || id != (ID{Prefix: PrefixTemporaryAccessKey, AccountID: "123456789012"}) {
		t.Errorf("ParseID(%s) = %+v, %v; want ASIA in 123456789012", creds.AccessKeyID, id, err)
	}
	if len(creds.SecretAccessKey.Reveal()) != SecretAccessKeyLen {
		t.Errorf("secret length = %d, want %d", len(creds.SecretAccessKey.Reveal()), SecretAccessKeyLen)
	}
	if len(c.SessionID) != 26 {
		t.Errorf("session id %q: want 26 characters", c.SessionID)
	}
	if !creds.Expiration.Equal(c.Expires) {
		t.Errorf("Expiration = %v, want %v", creds.Expiration, c.Expires)
	}
	if creds.PackedPolicySize < 1 || creds.PackedPolicySize > 100 {
		t.Errorf("PackedPolicySize = %d, want 1..100", creds.PackedPolicySize)
	}
	min := Claims{AccountID: "123456789012", PrincipalType: SessionUser, IssuedAt: t0, Expires: t0.Add(time.Hour)}
	if creds, _ := mint(t, r, min); creds.PackedPolicySize != 0 {
		t.Errorf("PackedPolicySize without policies or tags = %d, want 0", creds.PackedPolicySize)
	}
}

func wantInvalid(t *testing.T, err error, reason TokenInvalidReason) {
	t.Helper()
	var ie *TokenInvalidError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *TokenInvalidError", err)
	}
	if ie.Reason != reason {
		t.Errorf("reason = %v, want %v", ie.Reason, reason)
	}
}

func TestOpenTamperedFails(t *testing.T) {
	r := newRing(t)
	creds, _ := mint(t, r, fullClaims())
	raw, _ := base64.StdEncoding.DecodeString(creds.SessionToken)
	for i := range raw {
		for _, bit := range []byte{0x01, 0x80} {
			b := append([]byte(nil), raw...)
			b[i] ^= bit
			_, err := r.Open(base64.StdEncoding.EncodeToString(b), creds.AccessKeyID, t0)
			var ie *TokenInvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("flipping bit %#x of byte %d: err = %v, want *TokenInvalidError", bit, i, err)
			}
		}
	}
	for n := range raw {
		_, err := r.Open(base64.StdEncoding.EncodeToString(raw[:n]), creds.AccessKeyID, t0)
		var ie *TokenInvalidError
		if !errors.As(err, &ie) {
			t.Fatalf("truncated to %d bytes: err = %v, want *TokenInvalidError", n, err)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	r := newRing(t)
	creds, _ := mint(t, r, fullClaims())
	other, _ := mint(t, r, fullClaims())
	stranger := newRingSeed(t, 99)
	tests := []struct {
		name   string
		ring   *TokenKeyRing
		token  string
		akid   string
		reason TokenInvalidReason
	}{
		{"other access key id", r, creds.SessionToken, other.AccessKeyID, TokenForged},
		{"empty access key id", r, creds.SessionToken, "", TokenForged},
		{"unknown key", stranger, creds.SessionToken, creds.AccessKeyID, TokenUnknownKey},
		{"empty", r, "", creds.AccessKeyID, TokenMalformed},
		{"not base64", r, "!!!!", creds.AccessKeyID, TokenMalformed},
		{"url base64", r, strings.NewReplacer("+", "-", "/", "_").Replace(creds.SessionToken) + "-", creds.AccessKeyID, TokenMalformed},
		{"too long", r, strings.Repeat("A", MaxTokenLen+4), creds.AccessKeyID, TokenMalformed},
		{"wrong version", r, base64.StdEncoding.EncodeToString(append([]byte{tokenVersion + 1}, mustDecode(creds.SessionToken)[1:]...)), creds.AccessKeyID, TokenMalformed},
		{"version 1 header on a version 3 body", r, base64.StdEncoding.EncodeToString(append([]byte{1}, mustDecode(creds.SessionToken)[1:]...)), creds.AccessKeyID, TokenForged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.ring.Open(tt.token, tt.akid, t0)
			wantInvalid(t, err, tt.reason)
		})
	}
}

func newRingSeed(t testing.TB, seed byte) *TokenKeyRing {
	r, err := NewTokenKeyRing(testRand(seed), t0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustDecode(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestOpenExpired(t *testing.T) {
	r := newRing(t)
	creds, c := mint(t, r, fullClaims())
	tests := []struct {
		now     time.Time
		expired bool
	}{
		{c.IssuedAt, false},
		{c.Expires.Add(-time.Second), false},
		{c.Expires, true},
		{c.Expires.Add(time.Hour), true},
	}
	for _, tt := range tests {
		_, err := r.Open(creds.SessionToken, creds.AccessKeyID, tt.now)
		var ee *TokenExpiredError
		if got := errors.As(err, &ee); got != tt.expired {
			t.Errorf("Open at %v: err = %v, want expired %v", tt.now, err, tt.expired)
		}
		if tt.expired && !ee.Expired.Equal(c.Expires) {
			t.Errorf("Expired = %v, want %v", ee.Expired, c.Expires)
		}
		if !tt.expired && err != nil {
			t.Errorf("Open at %v: %v", tt.now, err)
		}
	}
}

func TestSealRejectsIncompleteClaims(t *testing.T) {
	r := newRing(t)
	tests := []struct {
		name   string
		mutate func(*Claims)
	}{
		{"no account", func(c *Claims) { c.AccountID = "" }},
		{"bad account", func(c *Claims) { c.AccountID = "12" }},
		{"no principal type", func(c *Claims) { c.PrincipalType = 0 }},
		{"bad principal type", func(c *Claims) { c.PrincipalType = 9 }},
		{"expires before issue", func(c *Claims) { c.Expires = c.IssuedAt }},
		{"too long", func(c *Claims) { c.Expires = c.IssuedAt.Add(MaxSessionDuration + time.Second) }},
		{"policy too large", func(c *Claims) { c.Tags = randomTags(60) }},
	}
	for _, tt := range tests {
		c := fullClaims()
		tt.mutate(&c)
		if _, _, err := r.Mint(c, testRand(12)); err == nil {
			t.Errorf("%s: Mint succeeded, want an error", tt.name)
		}
	}
	c := fullClaims()
	if _, _, err := r.Seal(&c, testRand(12)); err == nil {
		t.Error("Seal without access key, secret and session id succeeded")
	}
}

func TestSealTokenTooLarge(t *testing.T) {
	r := newRing(t)
	c := fullClaims()
	c.SourceIdentity = strings.Repeat("x", MaxTokenLen)
	_, _, err := r.Mint(c, testRand(13))
	var pe *PackedPolicyTooLargeError
	if !errors.As(err, &pe) || pe.Part != PackedToken {
		t.Fatalf("err = %v, want *PackedPolicyTooLargeError{Part: PackedToken}", err)
	}
	if got, want := err.Error(), "Serialized token too large for session"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestRotation(t *testing.T) {
	r := newRing(t)
	first := r.ActiveKeyID()
	oldCreds, _ := mint(t, r, fullClaims())

	rotatedAt := t0.Add(10 * time.Minute)
	second, err := r.Rotate(testRand(20), rotatedAt)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || r.ActiveKeyID() != second {
		t.Fatalf("after Rotate active = %s (was %s, Rotate said %s)", r.ActiveKeyID(), first, second)
	}
	newCreds, _ := mint(t, r, fullClaims())
	if got := keyIDOf(t, newCreds.SessionToken); got != second {
		t.Errorf("new token sealed by %s, want %s", got, second)
	}
	// The old key still opens what it sealed.
	if _, err := r.Open(oldCreds.SessionToken, oldCreds.AccessKeyID, rotatedAt); err != nil {
		t.Errorf("old token after rotation: %v", err)
	}
	wantKeys := []TokenKeyInfo{
		{ID: first, Created: t0.Add(-time.Hour), NotAfter: rotatedAt.Add(RetainAfterRotation)},
		{ID: second, Created: rotatedAt, Active: true},
	}
	if diff := cmp.Diff(wantKeys, r.Keys()); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
	// Nothing is pruned while the old key may have live tokens.
	if dropped := r.Prune(rotatedAt.Add(RetainAfterRotation)); len(dropped) != 0 {
		t.Errorf("Prune at not-after dropped %v", dropped)
	}
	// A ring that was not pruned still refuses a key past its not-after.
	late := rotatedAt.Add(RetainAfterRotation + time.Second)
	_, err = r.Open(oldCreds.SessionToken, oldCreds.AccessKeyID, late)
	wantInvalid(t, err, TokenKeyRetired)
	if diff := cmp.Diff([]string{first}, r.Prune(late)); diff != "" {
		t.Errorf("Prune (-want +got):\n%s", diff)
	}
	_, err = r.Open(oldCreds.SessionToken, oldCreds.AccessKeyID, t0)
	wantInvalid(t, err, TokenUnknownKey)
	if _, err := r.Open(newCreds.SessionToken, newCreds.AccessKeyID, rotatedAt); err != nil {
		t.Errorf("new token after prune: %v", err)
	}
}

func keyIDOf(t *testing.T, token string) string {
	t.Helper()
	b := mustDecode(token)
	return string(b[2 : 2+int(b[1])])
}

// fakeSealer stands in for the master key: it tags the purpose so a test
// sees a purpose mix-up.
type fakeSealer struct{}

func (fakeSealer) Seal(p []byte, purpose string) ([]byte, error) {
	return append([]byte(purpose+"|"), p...), nil
}

func (fakeSealer) Open(c []byte, purpose string) ([]byte, error) {
	s, ok := strings.CutPrefix(string(c), purpose+"|")
	if !ok {
		return nil, errors.New("wrong purpose")
	}
	return []byte(s), nil
}

func TestRingMarshalLoad(t *testing.T) {
	r := newRing(t)
	creds1, _ := mint(t, r, fullClaims())
	if _, err := r.Rotate(testRand(21), t0); err != nil {
		t.Fatal(err)
	}
	creds2, _ := mint(t, r, fullClaims())
	data, err := r.Marshal(fakeSealer{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalTokenKeyRing(data, fakeSealer{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.Keys(), got.Keys()); diff != "" {
		t.Errorf("Keys after round trip (-want +got):\n%s", diff)
	}
	for _, c := range []TemporaryCredentials{creds1, creds2} {
		if _, err := got.Open(c.SessionToken, c.AccessKeyID, t0); err != nil {
			t.Errorf("Open with loaded ring: %v", err)
		}
	}
	// Load swaps a live ring's keys.
	other := newRingSeed(t, 77)
	if err := other.Load(data, fakeSealer{}); err != nil {
		t.Fatal(err)
	}
	if other.ActiveKeyID() != r.ActiveKeyID() {
		t.Errorf("after Load active = %s, want %s", other.ActiveKeyID(), r.ActiveKeyID())
	}
	// The key material is bound to its id: swapping sealed blobs fails.
	var f ringFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	f.Keys[0].Sealed, f.Keys[1].Sealed = f.Keys[1].Sealed, f.Keys[0].Sealed
	swapped, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnmarshalTokenKeyRing(swapped, fakeSealer{}); err == nil {
		t.Error("ring with a key sealed for another purpose loaded")
	}
	for _, bad := range []string{`{`, `{"version":2}`, `{"version":1,"active":"nope","keys":[]}`} {
		if _, err := UnmarshalTokenKeyRing([]byte(bad), fakeSealer{}); err == nil {
			t.Errorf("UnmarshalTokenKeyRing(%s) succeeded", bad)
		}
	}
}

func TestOpenConcurrentWithRotate(t *testing.T) {
	r := newRing(t)
	creds, _ := mint(t, r, fullClaims())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			if _, err := r.Rotate(testRand(byte(30+i)), t0); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 2000 {
		if _, err := r.Open(creds.SessionToken, creds.AccessKeyID, t0); err != nil {
			t.Fatalf("Open during rotation: %v", err)
		}
	}
	<-done
}

func TestZeroRing(t *testing.T) {
	var r TokenKeyRing
	_, err := r.Open("AQJ0awAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "ASIA", t0)
	wantInvalid(t, err, TokenUnknownKey)
	c := fullClaims()
	if _, _, err := r.Mint(c, testRand(1)); err == nil {
		t.Error("Mint with an empty ring succeeded")
	}
	if got := r.ActiveKeyID(); got != "" {
		t.Errorf("ActiveKeyID = %q, want empty", got)
	}
}

// TestOpenStoredToken opens tokens sealed by earlier builds (fuzz seeds),
// so a change to a wire form cannot go unnoticed: tokens in flight must
// keep opening across an upgrade. valid-assumed-role is version 1 (no
// lineage: it opens with an empty one), valid-chained version 2 (times in
// seconds), valid-chained-v3 version 3 (times in microseconds),
// valid-context-v4 version 4 (testRequestContext); the first three open
// with no request context.
func TestOpenStoredToken(t *testing.T) {
	for _, tt := range []struct {
		file    string
		version byte
		lineage bool
		context bool
	}{
		{"valid-assumed-role", tokenVersionV1, false, false},
		{"valid-chained", tokenVersionV2, true, false},
		{"valid-chained-v3", tokenVersionV3, true, false},
		{"valid-context-v4", tokenVersion, true, true},
	} {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/fuzz/FuzzOpenToken/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(lines) != 3 {
				t.Fatalf("seed file has %d lines, want 3", len(lines))
			}
			var args [2]string
			for i, l := range lines[1:] {
				if args[i], err = strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(l, "string("), ")")); err != nil {
					t.Fatalf("seed line %d: %v", i+2, err)
				}
			}
			if v := mustDecode(args[0])[0]; v != tt.version {
				t.Fatalf("stored token has version %d, want %d", v, tt.version)
			}
			got, err := newRing(t).Open(args[0], args[1], t0)
			if err != nil {
				t.Fatalf("Open(stored token): %v", err)
			}
			want := fullClaims()
			want.AccessKeyID, want.SessionID, want.SecretAccessKey = got.AccessKeyID, got.SessionID, got.SecretAccessKey
			if !tt.lineage {
				want.Lineage = nil
			}
			if tt.context {
				want.RequestContext = testRequestContext()
			}
			if diff := cmp.Diff(want, got, secretEqual); diff != "" {
				t.Errorf("stored token claims (-want +got):\n%s", diff)
			}
			if args[1] != got.AccessKeyID || len(got.SecretAccessKey.Reveal()) != SecretAccessKeyLen {
				t.Errorf("stored token carries key %s and a %d-character secret", got.AccessKeyID, len(got.SecretAccessKey.Reveal()))
			}
		})
	}
}

// Issue times travel in microseconds (version 3): a revocation by
// principal compares them with its cut-off, and a token that rounded them
// to the second would count a session issued just after a cut-off as
// issued before it.
func TestIssueTimesKeepMicroseconds(t *testing.T) {
	r := newRing(t)
	c := fullClaims()
	c.IssuedAt = t0.Add(123456789 * time.Nanosecond)
	c.Lineage[0].IssuedAt = t0.Add(-10*time.Minute + 987654*time.Microsecond)
	c.Lineage[1].IssuedAt = t0.Add(-2*time.Hour + time.Microsecond)
	creds, minted, err := r.Mint(c, testRand(3))
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Open(creds.SessionToken, creds.AccessKeyID, t0)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(123456 * time.Microsecond); !got.IssuedAt.Equal(want) || !minted.IssuedAt.Equal(want) {
		t.Errorf("issued at: token says %v, Mint returned %v; want %v", got.IssuedAt, minted.IssuedAt, want)
	}
	for i, a := range got.Lineage {
		if want := c.Lineage[i].IssuedAt; !a.IssuedAt.Equal(want) {
			t.Errorf("ancestor %d issued at %v, want %v", i, a.IssuedAt, want)
		}
	}
}
