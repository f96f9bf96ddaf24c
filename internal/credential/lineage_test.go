package credential

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// chainedClaims is assumeRoleClaims made at the end of a chain of depth
// role sessions, as the AWS CLI makes them (role_arn profiles, sessions
// named botocore-session-EPOCH), each issued ten minutes before the next.
func chainedClaims(depth int) Claims {
	c := assumeRoleClaims()
	c.Lineage = nil
	for i := range depth {
		role := fmt.Sprintf("arn:aws:iam::123456789012:role/platform/Stage%02d", i)
		c.Lineage = append(c.Lineage, Ancestor{
			AccessKeyID:  fmt.Sprintf("ASIAQAAAAAAAAAAAAA%02d", i),
			PrincipalARN: role,
			SessionARN:   fmt.Sprintf("arn:aws:sts::123456789012:assumed-role/Stage%02d/botocore-session-17322624%02d", i, i),
			IssuedAt:     c.IssuedAt.Add(-time.Duration(i+1) * 10 * time.Minute),
		})
	}
	if depth > 0 {
		c.ParentAccessKeyID = c.Lineage[0].AccessKeyID
	}
	return c
}

func TestLineageRoundTrip(t *testing.T) {
	acct := "123456789012"
	tests := []struct {
		name    string
		lineage []Ancestor
	}{
		{"one role session", chainedClaims(1).Lineage},
		{"the deepest chain", chainedClaims(MaxChainDepth).Lineage},
		{"GetSessionToken session", []Ancestor{{AccessKeyID: "ASIAQAAAAAAAAAAAAAAA", PrincipalARN: "arn:aws:iam::" + acct + ":user/ops/alice", SessionARN: "arn:aws:iam::" + acct + ":user/ops/alice", IssuedAt: t0.Add(-time.Hour)}}},
		{"root session", []Ancestor{{AccessKeyID: "ASIAQAAAAAAAAAAAAAAA", PrincipalARN: "arn:aws:iam::" + acct + ":root", SessionARN: "arn:aws:iam::" + acct + ":root", IssuedAt: t0.Add(-time.Hour)}}},
		{"another account", []Ancestor{{AccessKeyID: "ASIAQAAAAAAAAAAAAAAA", PrincipalARN: "arn:aws:iam::210987654321:role/x/y/Hop", SessionARN: "arn:aws:sts::210987654321:assumed-role/Hop/s", IssuedAt: t0.Add(-time.Minute)}}},
		{"another partition", []Ancestor{{AccessKeyID: "ASIAQAAAAAAAAAAAAAAA", PrincipalARN: "arn:aws-cn:iam::" + acct + ":role/Hop", SessionARN: "arn:aws-cn:sts::" + acct + ":assumed-role/Hop/s", IssuedAt: t0.Add(-time.Minute)}}},
		{"session ARN of another role", []Ancestor{{AccessKeyID: "ASIAQAAAAAAAAAAAAAAA", PrincipalARN: "arn:aws:iam::" + acct + ":role/Hop", SessionARN: "arn:aws:sts::" + acct + ":assumed-role/Skip/s", IssuedAt: t0.Add(-time.Minute)}}},
		{"role with an empty name", []Ancestor{{AccessKeyID: "ASIAQAAAAAAAAAAAAAAA", PrincipalARN: "arn:aws:iam::" + acct + ":role/path/", SessionARN: "arn:aws:sts::" + acct + ":assumed-role//s", IssuedAt: t0}}},
		{"empty strings", []Ancestor{{IssuedAt: t0}, {PrincipalARN: "arn:aws:iam::" + acct + ":", SessionARN: "x", IssuedAt: t0}}},
		{"issued after the session", []Ancestor{{AccessKeyID: "ASIAQAAAAAAAAAAAAAAA", IssuedAt: t0.Add(time.Hour)}}},
	}
	r := newRing(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := assumeRoleClaims()
			c.Lineage = tt.lineage
			creds, want := mint(t, r, c)
			got, err := r.Open(creds.SessionToken, creds.AccessKeyID, t0.Add(time.Minute))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if diff := cmp.Diff(want, got, secretEqual); diff != "" {
				t.Errorf("Open(Seal(c)) (-want +got):\n%s", diff)
			}
			if got.ChainDepth() != len(tt.lineage) {
				t.Errorf("ChainDepth = %d, want %d", got.ChainDepth(), len(tt.lineage))
			}
		})
	}
}

// The parent key is left out of the body when the lineage (or the root)
// implies it, and written when it does not.
func TestParentKeyRoundTrip(t *testing.T) {
	r := newRing(t)
	for _, parent := range []string{"", "AKIAQAAAAAAAAAAAAAAA", "ASIAQAAAAAAAAAAAAA00", "ASIAELSEWHERE0000000"} {
		for _, depth := range []int{0, 2} {
			c := chainedClaims(depth)
			c.ParentAccessKeyID = parent
			creds, _ := mint(t, r, c)
			got, err := r.Open(creds.SessionToken, creds.AccessKeyID, t0)
			if err != nil {
				t.Fatal(err)
			}
			if got.ParentAccessKeyID != parent {
				t.Errorf("depth %d: parent %q came back as %q", depth, parent, got.ParentAccessKeyID)
			}
		}
	}
}

func TestSealRefusesTooDeepChain(t *testing.T) {
	r := newRing(t)
	c := chainedClaims(MaxChainDepth)
	c.Lineage = append(c.Lineage, c.Lineage[0])
	_, _, err := r.Mint(c, testRand(14))
	var ce *ChainTooLongError
	if !errors.As(err, &ce) || ce.Depth != MaxChainDepth+1 {
		t.Fatalf("Mint with %d ancestors: err = %v, want *ChainTooLongError{Depth: %d}", len(c.Lineage), err, MaxChainDepth+1)
	}
}

func TestChildLineage(t *testing.T) {
	parent := chainedClaims(2)
	parent.AccessKeyID = "ASIAPARENT0000000000"
	got, err := parent.ChildLineage()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]Ancestor{{AccessKeyID: parent.AccessKeyID, PrincipalARN: parent.PrincipalARN, SessionARN: parent.SessionARN, IssuedAt: parent.IssuedAt}}, parent.Lineage...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ChildLineage (-want +got):\n%s", diff)
	}
	root := assumeRoleClaims()
	if got, _ := root.ChildLineage(); len(got) != 1 {
		t.Errorf("a session made from a session made from a long-term key has %d ancestors, want 1", len(got))
	}
	deepest := chainedClaims(MaxChainDepth)
	_, err = deepest.ChildLineage()
	var ce *ChainTooLongError
	if !errors.As(err, &ce) || ce.Depth != MaxChainDepth+1 {
		t.Errorf("ChildLineage at depth %d: err = %v, want *ChainTooLongError", MaxChainDepth, err)
	}
}

// Bodies the encoder never writes do not decode.
func TestDecodeLineageRejects(t *testing.T) {
	c := chainedClaims(1)
	c.AccessKeyID, c.SessionID, c.SecretAccessKey = "ASIAQAAAAAAAAAAAAAAA", "S", NewSecret("x")
	good := appendBody(nil, tokenVersionV3, &c, Packed{})
	var ok Claims
	if err := decodeBody(tokenVersionV3, string(good), &ok); err != nil {
		t.Fatalf("the unaltered body: %v", err)
	}
	// The lineage follows the transitive keys' count (0) and ends before
	// the packed section's length (0): its form byte is at len-1-len(rest).
	var rest []byte
	rest = appendLineage(rest, &c)
	formAt := len(good) - 1 - len(rest)
	if good[formAt] != ancPrincipalInAccount|ancSessionAssumedRole {
		t.Fatalf("form byte %#x at %d, want the short forms", good[formAt], formAt)
	}
	tests := []struct {
		name   string
		mutate func(b []byte)
	}{
		{"depth past the bound", func(b []byte) { b[2] = MaxChainDepth + 1 }},
		{"depth beyond the lineage", func(b []byte) { b[2] = 2 }},
		{"unknown form", func(b []byte) { b[formAt] |= 1 << 3 }},
		{"two session forms", func(b []byte) { b[formAt] |= ancSessionIsPrincipal }},
		{"assumed-role form for a principal not a role", func(b []byte) { b[formAt] &^= ancPrincipalInAccount }},
		{"unknown flag", func(b []byte) { b[0] |= 1 << 3 }},
	}
	for _, tt := range tests {
		b := append([]byte(nil), good...)
		tt.mutate(b)
		var got Claims
		if err := decodeBody(tokenVersionV3, string(b), &got); err == nil {
			t.Errorf("%s: decoded", tt.name)
		}
	}
	// A version 1 body has no lineage and no derived parent.
	var v1 Claims
	if err := decodeBody(tokenVersionV1, string(good), &v1); err == nil {
		t.Error("a version 2 body with a derived parent decoded as version 1")
	}
}

// TestTokenSize prints the wire size of a typical AssumeRole token (small
// session policy and two tags) at the end of chains of several depths, and
// holds it under a bound: tokens travel in every request's header.
func TestTokenSize(t *testing.T) {
	r := newRing(t)
	for _, tt := range []struct {
		depth, max int
	}{{0, 640}, {1, 740}, {4, 1040}, {MaxChainDepth, 2300}} {
		for _, policy := range []bool{false, true} {
			c := chainedClaims(tt.depth)
			if !policy {
				c.Policy, c.Tags = "", nil
			}
			creds, _ := mint(t, r, c)
			n := len(creds.SessionToken)
			t.Logf("depth %2d, session policy and tags %-5v: %4d bytes", tt.depth, policy, n)
			if n > tt.max {
				t.Errorf("depth %d: token is %d bytes, want at most %d", tt.depth, n, tt.max)
			}
		}
	}
	// Written whole (another account, so neither ARN is short), the
	// deepest lineage still fits well under MaxTokenLen.
	c := chainedClaims(MaxChainDepth)
	for i := range c.Lineage {
		a := &c.Lineage[i]
		a.PrincipalARN = strings.Replace(a.PrincipalARN, "123456789012", "210987654321", 1)
		a.SessionARN = strings.Replace(a.SessionARN, "123456789012", "210987654321", 1) + "-x"
	}
	creds, _ := mint(t, r, c)
	t.Logf("depth %2d, nothing short: %d bytes", MaxChainDepth, len(creds.SessionToken))
	if len(creds.SessionToken) > MaxTokenLen/2 {
		t.Errorf("depth %d, nothing short: %d bytes", MaxChainDepth, len(creds.SessionToken))
	}
}
