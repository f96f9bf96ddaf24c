package deploy_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const unitFile = "systemd/brevet.service"

// parseUnit reads a systemd unit: section → key → values, in order (a key
// may be given more than once).
func parseUnit(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not KEY=VALUE in a section: %q", path, n, line)
			}
			out[section][k] = append(out[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSystemdUnitHardening(t *testing.T) {
	u := parseUnit(t, unitFile)
	svc := u["Service"]
	for key, want := range map[string]string{
		"DynamicUser":             "yes",
		"StateDirectory":          "brevet",
		"StateDirectoryMode":      "0700",
		"UMask":                   "0077",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectControlGroups":    "yes",
		"RestrictNamespaces":      "yes",
		"RestrictSUIDSGID":        "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"KillSignal":              "SIGTERM",
		"SystemCallErrorNumber":   "EPERM",
	} {
		got, ok := svc[key]
		if !ok || got[len(got)-1] != want {
			t.Errorf("[Service] %s=%q, want %q", key, got, want)
		}
	}
	filters := strings.Join(svc["SystemCallFilter"], " | ")
	if !strings.Contains(filters, "@system-service") || !strings.Contains(filters, "~@privileged") {
		t.Errorf("SystemCallFilter %q, want @system-service and ~@privileged", filters)
	}
	if got := svc["ExecStart"]; len(got) != 1 || got[0] != "/usr/local/bin/brevet serve --data-dir ${STATE_DIRECTORY}" {
		t.Errorf("ExecStart %q", got)
	}
	// The stop timeout leaves the server its shutdown grace (25s).
	if got := svc["TimeoutStopSec"]; len(got) != 1 {
		t.Errorf("TimeoutStopSec %q", got)
	} else if d, err := time.ParseDuration(got[0]); err != nil || d <= 25*time.Second {
		t.Errorf("TimeoutStopSec=%s, want more than the 25s shutdown grace", got[0])
	}
	if got := u["Install"]["WantedBy"]; len(got) != 1 || got[0] != "multi-user.target" {
		t.Errorf("WantedBy %q", got)
	}
}

// TestSystemdAnalyze runs systemd-analyze, where installed, on the unit:
// verify (syntax, known settings) and security (the exposure score must
// stay "OK": at most 2.0). ExecStart points at a binary that exists, since
// verify checks it.
func TestSystemdAnalyze(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed; TestSystemdUnitHardening checked the unit's settings")
	}
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "brevet.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(data), "/usr/local/bin/brevet", "/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("systemd-analyze", "verify", "--man=no", unit).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	help, _ := exec.Command("systemd-analyze", "security", "--help").CombinedOutput()
	if !strings.Contains(string(help), "--offline") || !strings.Contains(string(help), "--threshold") {
		t.Skip("this systemd-analyze cannot score a unit file offline (systemd < 250)")
	}
	out, err := exec.Command("systemd-analyze", "security", "--offline=yes", "--threshold=20", "--no-pager", unit).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0, or it failed: %v\n%s", err, out)
	}
	t.Log(lastLine(string(out)))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
