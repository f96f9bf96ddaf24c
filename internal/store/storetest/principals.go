package storetest

import (
	"testing"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// seedPrincipals builds a user in two groups and a role, each with inline
// and attached policies, a boundary, and a policy whose default is v2.
func seedPrincipals(t *testing.T, s store.Store) (pols map[string]iam.ManagedPolicy) {
	pols = map[string]iam.ManagedPolicy{}
	for _, n := range []string{"UserPol", "GroupPol", "RolePol", "Boundary", "Unused"} {
		p := newPolicy(n)
		mustDo(t, s.Policies().Create(ctx(t), p, doc(n+":v1")))
		pols[n] = p
	}
	_ = must[iam.PolicyVersion](t)(s.Policies().CreateVersion(ctx(t), pols["UserPol"].ARN(), doc("UserPol:v2"), Now, true))

	u := newUser("alice")
	u.PermissionsBoundary = pols["Boundary"].ARN()
	u.Tags = []iam.Tag{{Key: "team", Value: "core"}}
	mustDo(t, s.Users().Create(ctx(t), u))
	mustDo(t, s.Users().Create(ctx(t), newUser("bob")))
	for _, g := range []string{"devs", "ops", "empty"} {
		mustDo(t, s.Groups().Create(ctx(t), newGroup(g)))
	}
	mustDo(t, s.Groups().AddUser(ctx(t), Account, "devs", "alice"))
	mustDo(t, s.Groups().AddUser(ctx(t), Account, "ops", "alice"))
	mustDo(t, s.Groups().AddUser(ctx(t), Account, "ops", "bob"))

	ip, at := s.InlinePolicies(), s.Attachments()
	mustDo(t, ip.Put(ctx(t), userOwner("alice"), iam.InlinePolicy{Name: "self", Document: doc("self")}))
	mustDo(t, ip.Put(ctx(t), userOwner("bob"), iam.InlinePolicy{Name: "bobs", Document: doc("bob")}))
	mustDo(t, at.Attach(ctx(t), userOwner("alice"), pols["UserPol"].ARN()))
	mustDo(t, ip.Put(ctx(t), groupOwner("devs"), iam.InlinePolicy{Name: "dev-inline", Document: doc("dev")}))
	mustDo(t, at.Attach(ctx(t), groupOwner("ops"), pols["GroupPol"].ARN()))
	mustDo(t, at.Attach(ctx(t), groupOwner("empty"), pols["Unused"].ARN()))

	r := newRole("ci")
	r.PermissionsBoundary = pols["Boundary"].ARN()
	r.TrustBindings = []iam.PrincipalBinding{{ARN: "arn:aws:iam::" + Account + ":user/alice", ID: "AIDA" + pad("alice")}}
	mustDo(t, s.Roles().Create(ctx(t), r))
	mustDo(t, ip.Put(ctx(t), roleOwner("ci"), iam.InlinePolicy{Name: "role-inline", Document: doc("role")}))
	mustDo(t, at.Attach(ctx(t), roleOwner("ci"), pols["RolePol"].ARN()))
	mustDo(t, at.Attach(ctx(t), roleOwner("ci"), pols["UserPol"].ARN()))
	return pols
}

func testLoadUser(t *testing.T, s store.Store) {
	pols := seedPrincipals(t, s)
	snap := must[store.PrincipalSnapshot](t)(s.Principals().LoadUser(ctx(t), Account, "ALICE"))
	if snap.User == nil || snap.User.Name != "alice" || snap.Role != nil {
		t.Fatalf("LoadUser: User %+v Role %+v", snap.User, snap.Role)
	}
	diff(t, "tags", snap.User.Tags, []iam.Tag{{Key: "team", Value: "core"}})
	diff(t, "groups", snap.Groups, []string{"devs", "ops"})
	diff(t, "policies", snap.Policies, []store.PolicyDoc{
		{Source: store.SourceInline, Name: "self", Document: doc("self")},
		{Source: store.SourceManaged, Name: "UserPol", ARN: pols["UserPol"].ARN(), VersionID: "v2", Document: doc("UserPol:v2")},
		{Source: store.SourceGroupInline, Group: "devs", Name: "dev-inline", Document: doc("dev")},
		{Source: store.SourceGroupManaged, Group: "ops", Name: "GroupPol", ARN: pols["GroupPol"].ARN(), VersionID: "v1", Document: doc("GroupPol:v1")},
	})
	diff(t, "boundary", snap.Boundary, &store.PolicyDoc{Source: store.SourceManaged, Name: "Boundary",
		ARN: pols["Boundary"].ARN(), VersionID: "v1", Document: doc("Boundary:v1")})
	if snap.BoundaryARN != pols["Boundary"].ARN() {
		t.Errorf("BoundaryARN = %q", snap.BoundaryARN)
	}
	if latest := must[int64](t)(s.Changes().Latest(ctx(t))); snap.Seq != latest {
		t.Errorf("Seq = %d, want the latest change %d", snap.Seq, latest)
	}

	bob := must[store.PrincipalSnapshot](t)(s.Principals().LoadUser(ctx(t), Account, "bob"))
	if bob.Boundary != nil || bob.BoundaryARN != "" || len(bob.Policies) != 2 {
		t.Errorf("LoadUser bob: boundary %+v, %d policies, want none and 2", bob.Boundary, len(bob.Policies))
	}
	_, err := s.Principals().LoadUser(ctx(t), Account, "ghost")
	wantErr(t, "LoadUser missing", err, store.ErrNotFound)

	// A boundary naming a policy that does not exist loads as nil with the
	// ARN kept, so authorization can fail closed.
	u := *snap.User
	u.PermissionsBoundary = "arn:aws:iam::123456789012:policy/Gone"
	mustDo(t, s.Users().Update(ctx(t), u))
	snap = must[store.PrincipalSnapshot](t)(s.Principals().LoadUser(ctx(t), Account, "alice"))
	if snap.Boundary != nil || snap.BoundaryARN != u.PermissionsBoundary {
		t.Errorf("dangling boundary: got %+v, ARN %q", snap.Boundary, snap.BoundaryARN)
	}
}

func testLoadRole(t *testing.T, s store.Store) {
	pols := seedPrincipals(t, s)
	snap := must[store.PrincipalSnapshot](t)(s.Principals().LoadRole(ctx(t), Account, "CI"))
	if snap.Role == nil || snap.Role.Name != "ci" || snap.User != nil || len(snap.Groups) != 0 {
		t.Fatalf("LoadRole: Role %+v User %+v Groups %v", snap.Role, snap.User, snap.Groups)
	}
	diff(t, "policies", snap.Policies, []store.PolicyDoc{
		{Source: store.SourceInline, Name: "role-inline", Document: doc("role")},
		{Source: store.SourceManaged, Name: "RolePol", ARN: pols["RolePol"].ARN(), VersionID: "v1", Document: doc("RolePol:v1")},
		{Source: store.SourceManaged, Name: "UserPol", ARN: pols["UserPol"].ARN(), VersionID: "v2", Document: doc("UserPol:v2")},
	})
	if snap.Boundary == nil || snap.Boundary.Document != doc("Boundary:v1") {
		t.Errorf("boundary: got %+v", snap.Boundary)
	}
	diff(t, "trust bindings", snap.Role.TrustBindings,
		[]iam.PrincipalBinding{{ARN: "arn:aws:iam::" + Account + ":user/alice", ID: "AIDA" + pad("alice")}})
	_, err := s.Principals().LoadRole(ctx(t), Account, "ghost")
	wantErr(t, "LoadRole missing", err, store.ErrNotFound)
}

func testLoadAccessKey(t *testing.T, s store.Store) {
	seedPrincipals(t, s)
	k := newKey("AKIAAAAAAAAAAAAAAAA1", "alice")
	mustDo(t, s.AccessKeys().Create(ctx(t), k))
	key, snap, err := s.Principals().LoadAccessKey(ctx(t), k.ID)
	mustDo(t, err)
	diff(t, "key", key, k)
	if snap.User == nil || snap.User.Name != "alice" || len(snap.Policies) != 4 || snap.Boundary == nil {
		t.Errorf("snapshot: user %+v, %d policies, boundary %v", snap.User, len(snap.Policies), snap.Boundary)
	}
	_, _, err = s.Principals().LoadAccessKey(ctx(t), "AKIAMISSING")
	wantErr(t, "LoadAccessKey missing", err, store.ErrNotFound)
}
