package node

import (
	"regexp"
	"testing"
	"time"
)

// TestConsoleSessionDuration: the ConsoleLogin issuance's expiration
// follows console.session_duration (an hour when unset).
func TestConsoleSessionDuration(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  []string
		want time.Duration
	}{
		{name: "default", want: time.Hour},
		{name: "8h", env: []string{"BREVET_CONSOLE_SESSION_DURATION=8h"}, want: 8 * time.Hour},
		{name: "15m", env: []string{"BREVET_CONSOLE_SESSION_DURATION=15m"}, want: 15 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := startConsoleNode(t, tt.env...)
			b.signIn("admin")
			if err := b.n.events.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`"issuedCredential":\{"kind":"ConsoleLogin",[^}]*"issuedAt":"([^"]+)","expiration":"([^"]+)"`).
				FindStringSubmatch(readTrail(t, b.n))
			if m == nil {
				t.Fatal("no ConsoleLogin issuance in the trail")
			}
			issued, err1 := time.Parse(time.RFC3339, m[1])
			exp, err2 := time.Parse(time.RFC3339, m[2])
			if err1 != nil || err2 != nil {
				t.Fatalf("issuedAt %q, expiration %q: %v %v", m[1], m[2], err1, err2)
			}
			if got := exp.Sub(issued); got < tt.want-time.Second || got > tt.want+time.Second {
				t.Errorf("the console session lasts %s, want %s", got, tt.want)
			}
		})
	}
}
