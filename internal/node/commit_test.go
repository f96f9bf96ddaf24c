package node

import (
	"testing"

	"github.com/brevet-dev/brevet/internal/request"
)

// TestSyncAfterWriteSkipsUnchanged: the node syncs its caches after a
// Writes action, not after one that said it wrote nothing this time
// (GetId of a returning identity), nor after reads and issuance.
func TestSyncAfterWriteSkipsUnchanged(t *testing.T) {
	for _, tc := range []struct {
		effect    request.Effect
		unchanged bool
		want      bool
	}{
		{request.Writes, false, true},
		{request.Writes, true, false},
		{request.ReadOnly, false, false},
		{request.IssuesCredentials, false, false},
	} {
		x := &request.Exchange{Op: &request.Operation{Name: "GetId", Effect: tc.effect}}
		if tc.unchanged {
			x.Unchanged()
		}
		if got := syncsAfter(x); got != tc.want {
			t.Errorf("%v unchanged %v: syncs %v; want %v", tc.effect, tc.unchanged, got, tc.want)
		}
		if !tc.want {
			// A node with no change feed: a sync would panic.
			if err := (&Node{}).syncAfterWrite(t.Context(), x); err != nil {
				t.Errorf("%v unchanged %v: %v", tc.effect, tc.unchanged, err)
			}
		}
	}
	if syncsAfter(&request.Exchange{}) {
		t.Error("a request with no action syncs")
	}
}
