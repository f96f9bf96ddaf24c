package node

import (
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuildFrom(t *testing.T) {
	tests := []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"release", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "false"}}},
			"brevet v1.2.0 (commit 0123abcd) go1.26.8"},
		{"modified tree", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.1-0.20260101000000-0123abcd+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}},
			"brevet v1.2.1-0.20260101000000-0123abcd+dirty (commit 0123abcd, modified) go1.26.8"},
		{"go run", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "brevet (devel) go1.26.8"},
		{"no main module", debug.BuildInfo{GoVersion: "go1.26.8"}, "brevet (devel) go1.26.8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildFrom(&tt.info).String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := ReadBuild(); got.GoVersion != runtime.Version() || got.Version == "" {
		t.Errorf("ReadBuild() = %+v; want this toolchain %s and a version", got, runtime.Version())
	}
}

// TestBuildInfoMetric: /metrics carries brevet_build_info with the
// build's labels and the value 1.
func TestBuildInfoMetric(t *testing.T) {
	n, _ := startNode(t, t.TempDir(), Options{})
	b := ReadBuild()
	resp, err := http.Get(n.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := `brevet_build_info{goversion="` + b.GoVersion + `",revision="` + b.Revision + `",version="` + b.Version + `"} 1`
	if !strings.Contains(string(body), want) {
		t.Errorf("/metrics lacks %s:\n%s", want, body)
	}
}
