package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// BenchOpener opens a new, empty store for one benchmark; the backend
// arranges to close it (b.Cleanup).
type BenchOpener func(testing.TB) store.Store

// Bench runs the store benchmarks every backend reports, on the same seed,
// so that their figures compare: loading a principal's authorization
// snapshot (with and without groups, in parallel), an access key, a user,
// and creating users.
func Bench(b *testing.B, open BenchOpener) {
	b.Run("LoadUser", func(b *testing.B) { benchLoadUser(b, open) })
	b.Run("LoadUserParallel", func(b *testing.B) { benchLoadUserParallel(b, open) })
	b.Run("LoadAccessKey", func(b *testing.B) { benchLoadAccessKey(b, open) })
	b.Run("GetUser", func(b *testing.B) { benchGetUser(b, open) })
	b.Run("CreateUser", func(b *testing.B) { benchCreateUser(b, open) })
}

// benchDoc is a realistic ~600-byte policy document.
func benchDoc(i int) string {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for j := range 4 {
		if j > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"Sid":"S%d%d","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-%d-%d","arn:aws:s3:::bucket-%d-%d/*"]}`, i, j, i, j, i, j)
	}
	b.WriteString(`]}`)
	return b.String()
}

// seedBench creates a user with 10 attached managed policies, one inline
// policy and a boundary; and, when groups is set, two groups each with an
// inline and two attached policies. It returns the user's access key id.
func seedBench(b *testing.B, s store.Store, groups bool) string {
	ctx := b.Context()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(s.Accounts().Create(ctx, iam.Account{ID: Account, Created: Now}))
	pol := func(name string) string {
		p := iam.ManagedPolicy{Account: Account, ID: fmt.Sprintf("ANPA%-17s", name), Name: name, Path: "/", Created: Now}
		must(s.Policies().Create(ctx, p, benchDoc(len(name))))
		return p.ARN()
	}
	u := iam.User{Account: Account, ID: "AIDABENCHUSERXXXXXXX", Name: "bench", Path: "/", Created: Now,
		PermissionsBoundary: pol("Boundary"), Tags: []iam.Tag{{Key: "team", Value: "core"}}}
	must(s.Users().Create(ctx, u))
	owner := iam.Owner{Kind: iam.PrincipalUser, Account: Account, Name: "bench"}
	for i := range iam.MaxAttachedPolicies {
		must(s.Attachments().Attach(ctx, owner, pol(fmt.Sprintf("Attached%02d", i))))
	}
	must(s.InlinePolicies().Put(ctx, owner, iam.InlinePolicy{Name: "inline", Document: benchDoc(99)}))
	if groups {
		for g := range 2 {
			name := fmt.Sprintf("group%d", g)
			must(s.Groups().Create(ctx, iam.Group{Account: Account, ID: fmt.Sprintf("AGPA%-17s", name), Name: name, Path: "/", Created: Now}))
			must(s.Groups().AddUser(ctx, Account, name, "bench"))
			gOwner := iam.Owner{Kind: iam.PrincipalGroup, Account: Account, Name: name}
			must(s.InlinePolicies().Put(ctx, gOwner, iam.InlinePolicy{Name: "g-inline", Document: benchDoc(g)}))
			for i := range 2 {
				must(s.Attachments().Attach(ctx, gOwner, pol(fmt.Sprintf("G%dAttached%d", g, i))))
			}
		}
	}
	key := iam.AccessKey{Account: Account, UserName: "bench", ID: "AKIABENCHKEYXXXXXXXX", Status: iam.AccessKeyActive,
		Created: Now, SecretCiphertext: make([]byte, 60)}
	must(s.AccessKeys().Create(ctx, key))
	return key.ID
}

func benchLoadUser(b *testing.B, open BenchOpener) {
	for _, tc := range []struct {
		name   string
		groups bool
		want   int
	}{
		{"attached=10", false, 11},
		{"attached=10,groups=2", true, 17},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := open(b)
			seedBench(b, s, tc.groups)
			snap, err := s.Principals().LoadUser(b.Context(), Account, "bench")
			if err != nil || len(snap.Policies) != tc.want || snap.Boundary == nil {
				b.Fatalf("LoadUser: %d policies, boundary %v, err %v; want %d", len(snap.Policies), snap.Boundary != nil, err, tc.want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Principals().LoadUser(b.Context(), Account, "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchLoadUserParallel(b *testing.B, open BenchOpener) {
	s := open(b)
	seedBench(b, s, false)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Principals().LoadUser(b.Context(), Account, "bench"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchLoadAccessKey(b *testing.B, open BenchOpener) {
	s := open(b)
	id := seedBench(b, s, false)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := s.Principals().LoadAccessKey(b.Context(), id); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGetUser(b *testing.B, open BenchOpener) {
	s := open(b)
	seedBench(b, s, false)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Users().Get(b.Context(), Account, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCreateUser(b *testing.B, open BenchOpener) {
	s := open(b)
	if err := s.Accounts().Create(b.Context(), iam.Account{ID: Account, Created: Now}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("u%d", i)
		i++
		u := iam.User{Account: Account, ID: fmt.Sprintf("AIDA%017d", i), Name: name, Path: "/", Created: Now}
		if err := s.Users().Create(b.Context(), u); err != nil {
			b.Fatal(err)
		}
	}
}
