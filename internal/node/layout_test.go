package node

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/brevet-dev/brevet/"

// TestPipelinePackagesImportNoWireCodec: the pipeline's steps know no wire
// protocol. authn, authz, audit and the contract itself (request) import
// no codec, directly or not; a codec maps their typed errors.
func TestPipelinePackagesImportNoWireCodec(t *testing.T) {
	codecs := []string{module + "internal/awsquery", module + "internal/audit/lookup"}
	for _, pkg := range []string{"internal/request", "internal/authn", "internal/authz", "internal/audit"} {
		out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, c := range codecs {
				if dep == c || strings.HasPrefix(dep, c+"/") {
					t.Errorf("%s imports the wire codec %s", pkg, dep)
				}
			}
		}
	}
}

// TestServeIsACompositionRoot: `brevet serve` is flags -> config ->
// node.New -> Run: its files are short and import neither the store's
// driver, nor revocation, bootstrap or the OIDC issuer, which are the
// node's business.
func TestServeIsACompositionRoot(t *testing.T) {
	files, err := filepath.Glob("../../cmd/brevet/serve*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no serve files: %v", err)
	}
	forbidden := []string{"github.com/jackc/pgx", module + "internal/revocation", module + "internal/bootstrap", module + "internal/federation/issuer"}
	lines := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines += bytes.Count(src, []byte("\n"))
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if strings.HasPrefix(path, bad) {
					t.Errorf("%s imports %s", filepath.Base(f), path)
				}
			}
		}
	}
	if lines >= 300 {
		t.Errorf("cmd/brevet/serve*.go hold %d lines, want under 300", lines)
	}
}
