package deploy_test

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction: its keyword, upper case, and
// its arguments with continuation lines joined.
type instruction struct {
	cmd, args string
	line      int
}

// parseDockerfile reads the instructions of a Dockerfile: comments and
// blank lines dropped, lines ending in a backslash joined.
func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.Join(strings.Fields(args), " "), line: start})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur.Len() > 0 {
		t.Fatalf("%s ends in a continued line", path)
	}
	return out
}

// stages splits instructions at each FROM.
func stages(ins []instruction) [][]instruction {
	var out [][]instruction
	for _, in := range ins {
		if in.cmd == "FROM" {
			out = append(out, nil)
		}
		if len(out) > 0 {
			out[len(out)-1] = append(out[len(out)-1], in)
		}
	}
	return out
}

func find(ins []instruction, cmd string) []instruction {
	var out []instruction
	for _, in := range ins {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, "../Dockerfile")
	known := []string{"FROM", "ARG", "WORKDIR", "COPY", "RUN", "USER", "ENV", "VOLUME", "EXPOSE", "ENTRYPOINT", "CMD", "LABEL"}
	for _, in := range ins {
		if !slices.Contains(known, in.cmd) {
			t.Errorf("line %d: instruction %s (ADD fetches URLs and unpacks archives: use COPY)", in.line, in.cmd)
		}
	}
	st := stages(ins)
	if len(st) < 2 {
		t.Fatalf("%d stages, want a multi-stage build (a Go builder and a minimal runtime)", len(st))
	}
	build, final := st[0], st[len(st)-1]
	if from := build[0].args; !regexp.MustCompile(`^golang:\S+ AS build$`).MatchString(from) {
		t.Errorf("builder stage FROM %q, want golang:VERSION AS build", from)
	}
	if from := final[0].args; !strings.HasPrefix(from, "gcr.io/distroless/static") && from != "scratch" {
		t.Errorf("final stage FROM %q, want distroless/static or scratch (no shell, no libc)", from)
	}
	checkGoVersion(t, ins)

	var built bool
	for _, in := range find(build, "RUN") {
		if strings.Contains(in.args, "go build") {
			built = true
			for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-o /out/brevet", "./cmd/brevet"} {
				if !strings.Contains(in.args, want) {
					t.Errorf("line %d: go build lacks %q: %s", in.line, want, in.args)
				}
			}
		}
	}
	if !built {
		t.Error("the builder stage runs no go build")
	}

	users := find(final, "USER")
	if len(users) == 0 {
		t.Fatal("the final stage sets no USER: the server would run as root")
	}
	user := users[len(users)-1].args
	if uid, _, _ := strings.Cut(user, ":"); uid == "0" || uid == "root" || !regexp.MustCompile(`^[0-9]+$`).MatchString(uid) {
		t.Errorf("USER %q, want a numeric non-root uid (Kubernetes runAsNonRoot checks a number)", user)
	}
	wantIn := func(cmd, want string) {
		t.Helper()
		for _, in := range find(final, cmd) {
			if strings.Contains(in.args, want) {
				return
			}
		}
		t.Errorf("the final stage has no %s with %q", cmd, want)
	}
	wantIn("COPY", "--from=build /out/brevet /usr/local/bin/brevet")
	wantIn("ENTRYPOINT", `["/usr/local/bin/brevet"]`)
	wantIn("CMD", `["serve"]`)
	wantIn("EXPOSE", "8787")
	wantIn("VOLUME", "/var/lib/brevet")
	wantIn("ENV", "BREVET_DATA_DIR=/var/lib/brevet/")
	wantIn("ENV", "BREVET_LISTEN=0.0.0.0:8787")
	for _, in := range final {
		if in.cmd == "RUN" {
			t.Errorf("line %d: RUN in the final stage (it has no shell)", in.line)
		}
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil || !strings.Contains(string(ignore), ".git") {
		t.Errorf(".dockerignore must keep .git (and with it, history) out of the build context: %v", err)
	}
}

// checkGoVersion: the builder's Go is the go.mod's go version.
func checkGoVersion(t *testing.T, ins []instruction) {
	t.Helper()
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	for _, in := range find(ins, "ARG") {
		if v, ok := strings.CutPrefix(in.args, "GO_VERSION="); ok {
			if v != string(m[1]) {
				t.Errorf("ARG GO_VERSION=%s, want go.mod's %s", v, m[1])
			}
			return
		}
	}
	t.Error("no ARG GO_VERSION")
}

// TestDockerBuild builds the image and runs it with a read-only root file
// system. It needs a Docker daemon that can pull the base images, and
// minutes: it runs only with BREVET_TEST_DOCKER=1.
func TestDockerBuild(t *testing.T) {
	if os.Getenv("BREVET_TEST_DOCKER") != "1" {
		t.Skip("building the image takes minutes and needs Docker with access to its registries: set BREVET_TEST_DOCKER=1 to run it")
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skipf("no Docker daemon (docker info: %v): not building the image", err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("docker", args...)
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("build", "-t", "brevet:test", ".")
	if out := run("run", "--rm", "--read-only", "--tmpfs", "/tmp", "brevet:test", "version"); !strings.Contains(out, "brevet") {
		t.Errorf("brevet version in the image: %q", out)
	}
	if out := run("image", "inspect", "--format", "{{.Config.User}}", "brevet:test"); strings.TrimSpace(out) != "65532:65532" {
		t.Errorf("image user %q", out)
	}
}

// TestDeployDocsUseTheFiles: docs/deploy.md builds the image and installs
// the unit as they are in the repository.
func TestDeployDocsUseTheFiles(t *testing.T) {
	doc, err := os.ReadFile("../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"docker build -t brevet .",
		"docker run -d --name brevet --read-only --tmpfs /tmp",
		"-v brevet-data:/var/lib/brevet",
		"-e BREVET_INSECURE_HTTP=true",
		"-e BREVET_TLS_CERT=",
		"docker cp brevet:/var/lib/brevet/data/admin-credentials",
		"sudo install -m 0644 deploy/systemd/brevet.service /etc/systemd/system/brevet.service",
		"go build -trimpath -o brevet ./cmd/brevet",
		"/etc/brevet/brevet.env",
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("docs/deploy.md lacks %q", want)
		}
	}
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "EnvironmentFile=-/etc/brevet/brevet.env") {
		t.Error("the unit no longer reads /etc/brevet/brevet.env, which docs/deploy.md tells operators to edit")
	}
}
