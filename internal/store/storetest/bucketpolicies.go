package storetest

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

func bucketDoc(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + Account +
		`:user/ann"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
}

// testBucketPolicies: bucket policies round-trip every field (bindings:
// nil, empty and set kept apart), Put replaces, names are case-sensitive
// and per account, List orders by bucket, Delete of none is ErrNotFound,
// an account with bucket policies cannot be deleted, and every write
// records a change keyed by bucket.
func testBucketPolicies(t *testing.T, s store.Store) {
	bp := s.BucketPolicies()
	before := must[int64](t)(s.Changes().Latest(ctx(t)))
	logs := store.BucketPolicy{Account: Account, Bucket: "logs", Document: bucketDoc("logs"), Updated: Now,
		Bindings: []iam.PrincipalBinding{{ARN: "arn:aws:iam::" + Account + ":user/ann", ID: "AIDA" + pad("ann")}}}
	data := store.BucketPolicy{Account: Account, Bucket: "data.example", Document: bucketDoc("data.example"),
		Bindings: []iam.PrincipalBinding{}, Updated: Now}
	unbound := store.BucketPolicy{Account: Account, Bucket: "z-unbound", Document: bucketDoc("z-unbound"), Updated: Now}
	for _, p := range []store.BucketPolicy{logs, data, unbound} {
		mustDo(t, bp.Put(ctx(t), p))
	}
	diff(t, "Get logs", must[store.BucketPolicy](t)(bp.Get(ctx(t), Account, "logs")), logs)
	if got := must[store.BucketPolicy](t)(bp.Get(ctx(t), Account, "data.example")).Bindings; got == nil || len(got) != 0 {
		t.Errorf("Bindings bound to no one = %#v, want empty, not nil", got)
	}
	if got := must[store.BucketPolicy](t)(bp.Get(ctx(t), Account, "z-unbound")).Bindings; got != nil {
		t.Errorf("Bindings of a policy saved unbound = %#v, want nil", got)
	}
	_, err := bp.Get(ctx(t), Account, "LOGS")
	wantErr(t, "Get in another case", err, store.ErrNotFound)
	_, err = bp.Get(ctx(t), "999999999999", "logs")
	wantErr(t, "Get in another account", err, store.ErrNotFound)
	other := logs
	other.Account = "999999999999"
	wantErr(t, "Put in missing account", bp.Put(ctx(t), other), store.ErrNotFound)

	repl := logs
	repl.Document = bucketDoc("logs") + " "
	repl.Bindings = []iam.PrincipalBinding{{ARN: "arn:aws:iam::" + Account + ":role/ci", ID: "AROA" + pad("ci")}}
	repl.Updated = Now.Add(time.Minute)
	mustDo(t, bp.Put(ctx(t), repl))
	diff(t, "Get after replace", must[store.BucketPolicy](t)(bp.Get(ctx(t), Account, "logs")), repl)
	diff(t, "List", must[[]store.BucketPolicy](t)(bp.List(ctx(t), Account)), []store.BucketPolicy{data, repl, unbound})
	diff(t, "List other account", must[[]store.BucketPolicy](t)(bp.List(ctx(t), "999999999999")), []store.BucketPolicy(nil))

	wantErr(t, "Delete account with bucket policies", s.Accounts().Delete(ctx(t), Account), store.ErrConflict)
	mustDo(t, bp.Delete(ctx(t), Account, "data.example"))
	wantErr(t, "Delete twice", bp.Delete(ctx(t), Account, "data.example"), store.ErrNotFound)
	wantErr(t, "Delete in another case", bp.Delete(ctx(t), Account, "LOGS"), store.ErrNotFound)
	diff(t, "List after delete", must[[]store.BucketPolicy](t)(bp.List(ctx(t), Account)), []store.BucketPolicy{repl, unbound})

	// A rolled-back transaction leaves nothing behind.
	err = s.Tx(ctx(t), func(r store.Repos) error {
		if err := r.BucketPolicies().Delete(ctx(t), Account, "logs"); err != nil {
			return err
		}
		return store.ErrConflict
	})
	wantErr(t, "Tx rolled back", err, store.ErrConflict)
	diff(t, "Get after rollback", must[store.BucketPolicy](t)(bp.Get(ctx(t), Account, "logs")), repl)

	var got []string
	for _, c := range must[[]store.Change](t)(s.Changes().Since(ctx(t), before, 0)) {
		if c.Kind == store.ChangeBucketPolicy {
			if c.Account != Account {
				t.Errorf("change %s account = %q, want %q", c.Key, c.Account, Account)
			}
			got = append(got, c.Key)
		}
	}
	diff(t, "bucket policy changes", got, []string{"logs", "data.example", "z-unbound", "logs", "data.example"})
}
