package cputime

import "testing"

// TestProcessAdvances: work done between two readings shows as CPU time.
func TestProcessAdvances(t *testing.T) {
	before := Process()
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i % 7
	}
	if x == 0 {
		t.Fatal("unreachable: keeps the loop")
	}
	if after := Process(); after <= before {
		t.Errorf("CPU time %v after a busy loop, %v before", after, before)
	}
}
