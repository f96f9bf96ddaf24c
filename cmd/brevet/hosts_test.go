package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestHostsCLI drives brevet hosts against a server: listing (none yet)
// and the refusals the server and the command report.
func TestHostsCLI(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	url, _, _ := serveInProcess(t, data)
	isolateAWS(t)
	auth := []string{"--endpoint", url, "--credentials", filepath.Join(data, "admin-credentials")}
	out, err := runCLI(t, append([]string{"hosts", "list"}, auth...)...)
	if err != nil || !strings.HasPrefix(out, "HOST ID") {
		t.Fatalf("hosts list: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no such instance profile", []string{"join-token", "--instance-profile", "nope"}, "CreateJoinToken: NoSuchEntity"},
		{"no instance profile", []string{"join-token"}, "give --instance-profile"},
		{"ttl too long", []string{"join-token", "--instance-profile", "web", "--ttl", "25h"}, "--ttl must be"},
		{"unknown host", []string{"deregister", "i-0123456789abcdef0"}, "DeregisterHost: NoSuchEntity"},
		{"not a host id", []string{"deregister", "web-1"}, "is not a host id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCLI(t, append(append([]string{"hosts"}, tt.args...), auth...)...)
			if err == nil || !strings.Contains(err.Error()+out, tt.want) {
				t.Errorf("got %v\n%s\nwant an error with %q", err, out, tt.want)
			}
		})
	}
}
