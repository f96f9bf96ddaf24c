package loadgen

import "testing"

func TestEndpointOfSpreadsWorkers(t *testing.T) {
	cfg := &Config{URL: "a", URLs: []string{"b", "c"}}
	for i, want := range []string{"a", "b", "c", "a", "b"} {
		if got := endpointOf(cfg, i); got != want {
			t.Errorf("worker %d: got %q, want %q", i, got, want)
		}
	}
	if got := endpointOf(&Config{URL: "a"}, 3); got != "a" {
		t.Errorf("one endpoint: got %q, want a", got)
	}
}
