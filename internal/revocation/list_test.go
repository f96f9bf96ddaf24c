package revocation_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/store"
)

const rootKey = "AKIAROOTEXAMPLE00000"

// lineageChain returns the sessions of a chain of the given depth made
// from rootKey, as their tokens carry them: chain[0] made from the key,
// chain[k] made with chain[k-1]'s credentials, a session of role rK named
// sK, issued ten minutes after the one above it; the last ends a minute
// before now. prefix tells chains apart.
func lineageChain(prefix string, depth int) []credential.Claims {
	chain := make([]credential.Claims, depth+1)
	for k := range chain {
		role := fmt.Sprintf("arn:aws:iam::123456789012:role/r%d", k)
		c := credential.Claims{
			AccessKeyID:  fmt.Sprintf("ASIA%s%02d", prefix, k),
			PrincipalARN: role, SessionARN: fmt.Sprintf("arn:aws:sts::123456789012:assumed-role/r%d/s%d", k, k),
			IssuedAt:          now.Add(-time.Minute - time.Duration(depth-k)*10*time.Minute),
			ParentAccessKeyID: rootKey, RootAccessKeyID: rootKey,
		}
		if k > 0 {
			var err error
			if c.Lineage, err = chain[k-1].ChildLineage(); err != nil {
				panic(err)
			}
			c.ParentAccessKeyID = chain[k-1].AccessKeyID
		}
		chain[k] = c
	}
	return chain
}

// At every depth, revoking a session (by key, or by principal and time)
// reaches the deepest session made from it, from the deepest token alone.
func TestListRevokedLineage(t *testing.T) {
	later := now.Add(time.Hour)
	key := func(id string) store.Revocation {
		return store.Revocation{Kind: store.RevokeKey, Target: id, ExpiresAt: later}
	}
	principal := func(arn string, before time.Time) store.Revocation {
		return store.Revocation{Kind: store.RevokePrincipal, Target: arn, NotBefore: before, ExpiresAt: later}
	}
	for _, depth := range []int{0, 1, 2, credential.MaxChainDepth} {
		chain := lineageChain("CHAIN", depth)
		leaf := &chain[depth]
		mid := &chain[depth/2] // the root session at depth 0 and 1
		sibling := lineageChain("OTHER", depth)[depth]
		sibling.IssuedAt = now // issued after every cut-off below
		for i := range sibling.Lineage {
			sibling.Lineage[i].IssuedAt = now
		}
		tests := []struct {
			name          string
			entries       []store.Revocation
			leaf, sibling bool
		}{
			{"nothing", nil, false, false},
			{"its own key", []store.Revocation{key(leaf.AccessKeyID)}, true, false},
			{"the root key", []store.Revocation{key(rootKey)}, true, true},
			{"a middle ancestor's key", []store.Revocation{key(mid.AccessKeyID)}, true, false},
			{"the middle key, expired", []store.Revocation{{Kind: store.RevokeKey, Target: mid.AccessKeyID, ExpiresAt: now}}, false, false},
			{"an unrelated key", []store.Revocation{key("ASIAUNRELATED0000000")}, false, false},
			{"the middle role, issued before the cut-off", []store.Revocation{principal(mid.PrincipalARN, mid.IssuedAt.Add(time.Second))}, true, false},
			{"the middle role, issued at the cut-off", []store.Revocation{principal(mid.PrincipalARN, mid.IssuedAt)}, false, false},
			{"the middle session ARN, issued before", []store.Revocation{principal(mid.SessionARN, now)}, true, false},
			{"the first session's role, issued before", []store.Revocation{principal(chain[0].PrincipalARN, now)}, true, false},
			{"an unrelated role", []store.Revocation{principal("arn:aws:iam::123456789012:role/unrelated", now)}, false, false},
		}
		for _, tt := range tests {
			var l revocation.List
			l.Replace(tt.entries, now)
			if got := l.Revoked(leaf, now); got != tt.leaf {
				t.Errorf("depth %d, %s: deepest session revoked = %v, want %v", depth, tt.name, got, tt.leaf)
			}
			if got := l.Revoked(&sibling, now); got != tt.sibling {
				t.Errorf("depth %d, %s: session of another chain revoked = %v, want %v", depth, tt.name, got, tt.sibling)
			}
		}
		if depth < 2 {
			continue
		}
		// Above the revoked session, nothing is.
		var l revocation.List
		l.Replace([]store.Revocation{key(mid.AccessKeyID), principal(mid.PrincipalARN, now)}, now)
		for k := range depth / 2 {
			if l.Revoked(&chain[k], now) {
				t.Errorf("depth %d: session %d, above the revoked %d, is revoked", depth, k, depth/2)
			}
		}
	}
}

// A version 1 token carries no lineage, only its parent and root keys.
func TestListRevokedWithoutLineage(t *testing.T) {
	var l revocation.List
	l.Replace([]store.Revocation{{Kind: store.RevokeKey, Target: "ASIAPARENT", ExpiresAt: now.Add(time.Hour)}}, now)
	v1 := credential.Claims{AccessKeyID: "ASIACHILD", ParentAccessKeyID: "ASIAPARENT", RootAccessKeyID: rootKey}
	if !l.Revoked(&v1, now) {
		t.Error("a version 1 token whose parent is revoked is not")
	}
}

// Principal entries stop counting when they expire, like key entries.
func TestListPrincipalEntryExpires(t *testing.T) {
	var l revocation.List
	l.Replace([]store.Revocation{{Kind: store.RevokePrincipal, Target: roleA, NotBefore: now, ExpiresAt: now.Add(time.Hour)}}, now)
	c := credential.Claims{AccessKeyID: "ASIAX", PrincipalARN: roleA, IssuedAt: now.Add(-time.Minute)}
	if !l.Revoked(&c, now) || l.Revoked(&c, now.Add(time.Hour)) {
		t.Error("a principal entry does not count until it expires, and no longer")
	}
}

// benchRevocations is n key entries and n/10 principal entries, none of
// which covers a benchmark chain.
func benchRevocations(n int) *revocation.List {
	entries := make([]store.Revocation, 0, n+n/10)
	for i := range n {
		entries = append(entries, store.Revocation{Kind: store.RevokeKey, Target: fmt.Sprintf("ASIA%016d", i), ExpiresAt: now.Add(time.Hour)})
	}
	for i := range n / 10 {
		entries = append(entries, store.Revocation{Kind: store.RevokePrincipal, Target: fmt.Sprintf("arn:aws:iam::123456789012:role/x%d", i), NotBefore: now, ExpiresAt: now.Add(time.Hour)})
	}
	var l revocation.List
	l.Replace(entries, now)
	return &l
}

// BenchmarkRevoked is the check on every request with a temporary
// credential, with 10,000 entries none of which matches (every key and ARN
// of the lineage is looked up).
func BenchmarkRevoked(b *testing.B) {
	l := benchRevocations(10000)
	for _, depth := range []int{0, 1, 4, credential.MaxChainDepth} {
		b.Run(fmt.Sprintf("depth-%d", depth), func(b *testing.B) {
			c := &lineageChain("BENCH", depth)[depth]
			b.ReportAllocs()
			for b.Loop() {
				if l.Revoked(c, now) {
					b.Fatal("revoked")
				}
			}
		})
	}
}
