package bucketpolicy

import (
	"fmt"
	"testing"

	"github.com/brevet-dev/brevet/internal/policy"
)

func compiled(t *testing.T) *policy.Compiled {
	t.Helper()
	doc, err := policy.Parse([]byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := policy.Compile(doc, policy.TypeResource, "b")
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// TestCacheBounded: each kind holds at most max entries, however many
// names come.
func TestCacheBounded(t *testing.T) {
	c := newCache(3)
	pc := compiled(t)
	for i := range 100 {
		c.put(fmt.Sprintf("none-%d", i), nil, c.generation())
		c.put(fmt.Sprintf("some-%d", i), pc, c.generation())
	}
	if pos, neg := c.len(); pos != 3 || neg != 3 {
		t.Errorf("entries: %d with a policy, %d without; want 3 and 3", pos, neg)
	}
	if got, ok := c.get("some-99"); !ok || got != pc {
		t.Errorf("the newest entry: %v, %v; want it cached", got, ok)
	}
}

// TestCacheStaleLoad: what was loaded before an invalidation is not
// cached, since it may predate the change.
func TestCacheStaleLoad(t *testing.T) {
	c := newCache(10)
	pc := compiled(t)
	for _, tt := range []struct {
		name       string
		invalidate func()
	}{
		{"same bucket", func() { c.invalidate("b") }},
		{"another bucket", func() { c.invalidate("x") }},
		{"flush", c.flush},
	} {
		gen := c.generation()
		tt.invalidate()
		c.put("b", pc, gen)
		if _, ok := c.get("b"); ok {
			t.Errorf("%s: a load from before the invalidation was cached", tt.name)
		}
	}
	c.put("b", pc, c.generation())
	if got, ok := c.get("b"); !ok || got != pc {
		t.Errorf("a load after the invalidations: %v, %v; want it cached", got, ok)
	}
	c.invalidate("b")
	if _, ok := c.get("b"); ok {
		t.Errorf("invalidate left the entry")
	}
}
