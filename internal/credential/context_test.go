package credential

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testRequestContext is what an IoT credentials provider session carries.
func testRequestContext() []ContextKey {
	return []ContextKey{
		{Key: "credentials-iot:ThingName", Value: "sensor-7"},
		{Key: "credentials-iot:ThingTypeName", Value: "thermometer"},
		{Key: "credentials-iot:ThingAttributes/floor", Value: "3"},
		{Key: "credentials-iot:AwsCertificateId", Value: strings.Repeat("ab", 32)},
	}
}

// A session with request context keys is sealed as version 4 and opens
// with them; one without is sealed as version 3, as before.
func TestRequestContextRoundTrip(t *testing.T) {
	r := newRing(t)
	for _, tt := range []struct {
		name    string
		keys    []ContextKey
		version byte
	}{
		{"none", nil, tokenVersionV3},
		{"iot", testRequestContext(), tokenVersion},
		{"one empty value", []ContextKey{{Key: "ec2:SourceInstanceARN", Value: ""}}, tokenVersion},
		{"most keys", boundContext(MaxRequestContextKeys, 24, 16), tokenVersion},
		{"longest key and value", boundContext(1, MaxContextKeyLen, MaxContextValueLen), tokenVersion},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := fullClaims()
			c.RequestContext = tt.keys
			creds, minted, err := r.Mint(c, testRand(4))
			if err != nil {
				t.Fatal(err)
			}
			if got := mustDecode(creds.SessionToken)[0]; got != tt.version {
				t.Errorf("token version %d, want %d", got, tt.version)
			}
			got, err := r.Open(creds.SessionToken, creds.AccessKeyID, t0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(minted, got, secretEqual); diff != "" {
				t.Errorf("Open(Mint(c)) (-minted +opened):\n%s", diff)
			}
			if diff := cmp.Diff(tt.keys, got.RequestContext); diff != "" {
				t.Errorf("request context (-want +got):\n%s", diff)
			}
		})
	}
}

// boundContext is n keys of keyLen bytes with values of valueLen bytes.
func boundContext(n, keyLen, valueLen int) []ContextKey {
	keys := make([]ContextKey, n)
	for i := range keys {
		k := []byte(strings.Repeat("k", keyLen))
		k[0], k[1] = 'a'+byte(i/26), 'a'+byte(i%26)
		keys[i] = ContextKey{Key: string(k), Value: strings.Repeat("v", valueLen)}
	}
	return keys
}

// Seal refuses request context beyond its bounds, and the decoder refuses
// a body that carries such context all the same.
func TestRequestContextBounds(t *testing.T) {
	r := newRing(t)
	for _, tt := range []struct {
		name string
		keys []ContextKey
	}{
		{"too many keys", boundContext(MaxRequestContextKeys+1, 8, 1)},
		{"key too long", boundContext(1, MaxContextKeyLen+1, 1)},
		{"value too long", boundContext(1, 8, MaxContextValueLen+1)},
		{"empty key", []ContextKey{{Key: "", Value: "x"}}},
		{"duplicate key", []ContextKey{{Key: "ec2:SourceInstanceARN", Value: "a"}, {Key: "EC2:sourceinstancearn", Value: "b"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := fullClaims()
			c.RequestContext = tt.keys
			if _, _, err := r.Mint(c, testRand(5)); err == nil {
				t.Error("Mint accepted the claims")
			}
			c.AccessKeyID, c.SessionID, c.SecretAccessKey = "ASIAQAAAAAAAAAAAAAAA", "S", NewSecret("x")
			body := appendBody(nil, tokenVersion, &c, Packed{})
			var got Claims
			if err := decodeBody(tokenVersion, string(body), &got); err == nil {
				t.Error("decodeBody accepted the body")
			}
		})
	}
}

// A version 3 body is not a version 4 body: the version byte decides the
// layout, so a body cannot be read under the other version's layout and
// gain (or lose) request context.
func TestRequestContextVersionBound(t *testing.T) {
	c := fullClaims()
	c.AccessKeyID, c.SessionID, c.SecretAccessKey = "ASIAQAAAAAAAAAAAAAAA", "S", NewSecret("x")
	c.RequestContext = testRequestContext()
	v4 := appendBody(nil, tokenVersion, &c, Packed{})
	var got Claims
	if err := decodeBody(tokenVersionV3, string(v4), &got); err == nil {
		t.Error("a version 4 body with context decodes as version 3")
	}
	c.RequestContext = nil
	v3 := appendBody(nil, tokenVersionV3, &c, Packed{})
	got = Claims{}
	if err := decodeBody(tokenVersion, string(v3), &got); err == nil {
		t.Error("a version 3 body decodes as version 4")
	}
}
