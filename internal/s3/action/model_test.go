package action

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// botocoreS3Model reads the operation names of botocore's s3 model from
// the machine: $BREVET_BOTOCORE_DIR, or the botocore python3 imports.
func botocoreS3Model(t *testing.T) map[string]bool {
	t.Helper()
	dir := os.Getenv("BREVET_BOTOCORE_DIR")
	if dir == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
		if err != nil {
			missing(t, "python3 with botocore: "+err.Error())
		}
		dir = strings.TrimSpace(string(out))
	}
	base := filepath.Join(dir, "data", "s3", "2006-03-01", "service-2.json")
	var r io.Reader
	if f, err := os.Open(base + ".gz"); err == nil {
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("reading %s.gz: %v", base, err)
		}
		r = zr
	} else if f, err := os.Open(base); err == nil {
		defer f.Close()
		r = f
	} else {
		missing(t, "botocore s3 model at "+base+"[.gz]")
	}
	var model struct {
		Operations map[string]json.RawMessage `json:"operations"`
	}
	if err := json.NewDecoder(r).Decode(&model); err != nil {
		t.Fatalf("decoding the botocore s3 model: %v", err)
	}
	if len(model.Operations) == 0 {
		t.Fatal("the botocore s3 model has no operations")
	}
	ops := make(map[string]bool, len(model.Operations))
	for name := range model.Operations {
		ops[name] = true
	}
	return ops
}

func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("missing %s (CI must have it)", what)
	}
	t.Skipf("skipping: missing %s (set BREVET_BOTOCORE_DIR or install botocore)", what)
}

// mappedOperations returns every operation name Map can return.
func mappedOperations() map[string]bool {
	ops := map[string]bool{
		// Names a route's builder sets instead of the route's own.
		"ListObjectsV2": true, "CopyObject": true, "UploadPartCopy": true,
	}
	for _, rt := range routes {
		if rt.name != "" {
			ops[rt.name] = true
		}
		if rt.listName != "" {
			ops[rt.listName] = true
		}
	}
	return ops
}

// TestOperationsInBotocoreModel checks every operation name the map can
// return against botocore's s3 model, and logs the model's operations the
// map does not serve.
func TestOperationsInBotocoreModel(t *testing.T) {
	model := botocoreS3Model(t)
	mapped := mappedOperations()
	var names []string
	for name := range mapped {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !model[name] {
			t.Errorf("operation %q: not in botocore's s3 model", name)
		}
	}
	var unserved []string
	for name := range model {
		if !mapped[name] {
			unserved = append(unserved, name)
		}
	}
	sort.Strings(unserved)
	t.Logf("%d model operations mapped; %d not mapped: %s", len(names), len(unserved), strings.Join(unserved, ", "))
}

// TestMappedOperationsReachable checks that the names mappedOperations adds
// by hand are ones Map returns, so the model check cannot pass on a list
// that has drifted from the code.
func TestMappedOperationsReachable(t *testing.T) {
	reqs := []Request{
		req("GET", "bk", "", ""), req("GET", "bk", "", "list-type=2"),
		req("PUT", "bk", "k", "", "x-amz-copy-source", "s/k"),
		req("PUT", "bk", "k", "uploadId=u", "x-amz-copy-source", "s/k"),
		req("GET", "bk", "", "analytics"), req("GET", "bk", "", "inventory"),
		req("GET", "bk", "", "metrics"), req("GET", "bk", "", "intelligent-tiering"),
	}
	seen := map[string]bool{}
	for key, rt := range routes {
		if rt.name == "" {
			continue
		}
		r := Request{Method: key.method, Query: map[string][]string{}}
		switch key.level {
		case levelBucket:
			r.Bucket = "bk"
		case levelObject:
			r.Bucket, r.Key = "bk", "k"
		}
		if key.sub != "" {
			r.Query[key.sub] = []string{""}
		}
		if key.sub == "select" {
			r.Query["select-type"] = []string{"2"}
		}
		if key.sub == "analytics" || key.sub == "inventory" || key.sub == "metrics" || key.sub == "intelligent-tiering" {
			r.Query["id"] = []string{"x"}
		}
		reqs = append(reqs, r)
	}
	for _, r := range reqs {
		res, err := Map(r)
		if err != nil {
			t.Errorf("Map(%s %q %q %v): got error %v", r.Method, r.Bucket, r.Key, r.Query, err)
			continue
		}
		seen[res.Operation] = true
	}
	for name := range mappedOperations() {
		if !seen[name] {
			t.Errorf("operation %q: listed as mapped, but no request maps to it", name)
		}
	}
}
