package credential

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"
)

// assumeRoleClaims is a typical AssumeRole session: one small session
// policy and two tags.
func assumeRoleClaims() Claims {
	return Claims{
		AccountID:         "123456789012",
		PrincipalType:     AssumedRole,
		PrincipalARN:      "arn:aws:iam::123456789012:role/Builder",
		PrincipalID:       "AROAQAAAAAAAAAAAAAAAB",
		SessionARN:        "arn:aws:sts::123456789012:assumed-role/Builder/ci-42",
		SessionName:       "ci-42",
		IssuedAt:          t0,
		Expires:           t0.Add(time.Hour),
		Policy:            `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`,
		Tags:              []Tag{{Key: "Project", Value: "Brevet"}, {Key: "CostCenter", Value: "12345"}},
		ParentAccessKeyID: "AKIAQAAAAAAAAAAAAAAA",
		RootAccessKeyID:   "AKIAQAAAAAAAAAAAAAAA",
	}
}

func BenchmarkMint(b *testing.B) {
	r := newRing(b)
	c := assumeRoleClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Mint(c, rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkOpen(b *testing.B, c Claims) {
	r := newRing(b)
	creds, _, err := r.Mint(c, rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	now := t0.Add(time.Minute)
	b.SetBytes(int64(len(creds.SessionToken)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Open(creds.SessionToken, creds.AccessKeyID, now); err != nil {
			b.Fatal(err)
		}
	}
}

// The request path: every request signed with a temporary credential opens
// its token.
func BenchmarkOpen(b *testing.B) {
	b.Run("no-session-policy", func(b *testing.B) {
		c := assumeRoleClaims()
		c.Policy, c.Tags = "", nil
		benchmarkOpen(b, c)
	})
	b.Run("policy-and-2-tags", func(b *testing.B) { benchmarkOpen(b, assumeRoleClaims()) })
	b.Run("compressed-policy", func(b *testing.B) {
		c := assumeRoleClaims()
		c.Policy = typicalPolicy(8)
		benchmarkOpen(b, c)
	})
	// An IoT credentials provider session: no session policy, four
	// service-set condition keys (version 4).
	b.Run("iot-request-context", func(b *testing.B) {
		c := assumeRoleClaims()
		c.Policy, c.Tags, c.RequestContext = "", nil, testRequestContext()
		benchmarkOpen(b, c)
	})
	// Chained sessions carry their lineage (lineage_test.go).
	for _, depth := range []int{1, 4, MaxChainDepth} {
		b.Run(fmt.Sprintf("policy-and-2-tags-chain-%d", depth), func(b *testing.B) { benchmarkOpen(b, chainedClaims(depth)) })
	}
}

// BenchmarkMintRequestContext mints an IoT credentials provider session
// (no session policy, four service-set condition keys).
func BenchmarkMintRequestContext(b *testing.B) {
	r := newRing(b)
	c := assumeRoleClaims()
	c.Policy, c.Tags, c.RequestContext = "", nil, testRequestContext()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Mint(c, rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMintChained(b *testing.B) {
	for _, depth := range []int{1, 4, MaxChainDepth} {
		b.Run(fmt.Sprintf("chain-%d", depth), func(b *testing.B) {
			r := newRing(b)
			c := chainedClaims(depth)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := r.Mint(c, rand.Reader); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpenParallel shows that verification does not contend: the ring
// is read with one atomic load.
func BenchmarkOpenParallel(b *testing.B) {
	r := newRing(b)
	creds, _, err := r.Mint(assumeRoleClaims(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	now := t0.Add(time.Minute)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Open(creds.SessionToken, creds.AccessKeyID, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkPackedSize(b *testing.B) {
	c := assumeRoleClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PackedSize(c.Policy, c.PolicyARNs, c.Tags); err != nil {
			b.Fatal(err)
		}
	}
}
