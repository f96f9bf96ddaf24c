package storetest

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

func testInlinePolicies(t *testing.T, s store.Store) {
	mustDo(t, s.Users().Create(ctx(t), newUser("alice")))
	mustDo(t, s.Groups().Create(ctx(t), newGroup("devs")))
	mustDo(t, s.Roles().Create(ctx(t), newRole("ci")))
	ip := s.InlinePolicies()
	for _, o := range []iam.Owner{userOwner("ALICE"), groupOwner("Devs"), roleOwner("CI")} {
		t.Run(o.Kind.String(), func(t *testing.T) {
			mustDo(t, ip.Put(ctx(t), o, iam.InlinePolicy{Name: "b", Document: doc("b:1")}))
			mustDo(t, ip.Put(ctx(t), o, iam.InlinePolicy{Name: "a", Document: doc("a:1")}))
			mustDo(t, ip.Put(ctx(t), o, iam.InlinePolicy{Name: "b", Document: doc("b:2")})) // replace
			// Inline names are compared exactly: "B" is another policy.
			mustDo(t, ip.Put(ctx(t), o, iam.InlinePolicy{Name: "B", Document: doc("B:1")}))
			diff(t, "Get", must[iam.InlinePolicy](t)(ip.Get(ctx(t), o, "b")), iam.InlinePolicy{Name: "b", Document: doc("b:2")})
			diff(t, "List", must[[]iam.InlinePolicy](t)(ip.List(ctx(t), o)), []iam.InlinePolicy{
				{Name: "B", Document: doc("B:1")}, {Name: "a", Document: doc("a:1")}, {Name: "b", Document: doc("b:2")},
			})
			_, err := ip.Get(ctx(t), o, "zzz")
			wantErr(t, "Get missing", err, store.ErrNotFound)
			mustDo(t, ip.Delete(ctx(t), o, "B"))
			wantErr(t, "Delete missing", ip.Delete(ctx(t), o, "B"), store.ErrNotFound)

			ghost := o
			ghost.Name = "ghost"
			wantErr(t, "Put on missing owner", ip.Put(ctx(t), ghost, iam.InlinePolicy{Name: "a", Document: "{}"}), store.ErrNotFound)
			_, err = ip.List(ctx(t), ghost)
			wantErr(t, "List on missing owner", err, store.ErrNotFound)
			_, err = ip.Get(ctx(t), ghost, "a")
			wantErr(t, "Get on missing owner", err, store.ErrNotFound)
			wantErr(t, "Delete on missing owner", ip.Delete(ctx(t), ghost, "a"), store.ErrNotFound)
		})
	}
}

func testAttachments(t *testing.T, s store.Store) {
	mustDo(t, s.Users().Create(ctx(t), newUser("alice")))
	mustDo(t, s.Groups().Create(ctx(t), newGroup("devs")))
	mustDo(t, s.Roles().Create(ctx(t), newRole("ci")))
	pb, pa := newPolicy("Beta"), newPolicy("alpha")
	mustDo(t, s.Policies().Create(ctx(t), pb, doc("b:*")))
	mustDo(t, s.Policies().Create(ctx(t), pa, doc("a:*")))
	at := s.Attachments()
	owners := []iam.Owner{userOwner("alice"), groupOwner("devs"), roleOwner("ci")}
	for _, o := range owners {
		t.Run(o.Kind.String(), func(t *testing.T) {
			mustDo(t, at.Attach(ctx(t), o, pb.ARN()))
			mustDo(t, at.Attach(ctx(t), o, pa.ARN()))
			mustDo(t, at.Attach(ctx(t), o, pa.ARN())) // idempotent
			diff(t, "List", must[[]iam.AttachedPolicy](t)(at.List(ctx(t), o)), []iam.AttachedPolicy{
				{Name: "alpha", ARN: pa.ARN()}, {Name: "Beta", ARN: pb.ARN()},
			})
			wantErr(t, "Attach missing policy", at.Attach(ctx(t), o, "arn:aws:iam::123456789012:policy/Nope"), store.ErrNotFound)
			ghost := o
			ghost.Name = "ghost"
			wantErr(t, "Attach to missing owner", at.Attach(ctx(t), ghost, pa.ARN()), store.ErrNotFound)
			wantErr(t, "Detach from missing owner", at.Detach(ctx(t), ghost, pa.ARN()), store.ErrNotFound)
			_, err := at.List(ctx(t), ghost)
			wantErr(t, "List missing owner", err, store.ErrNotFound)
		})
	}
	ents := must[[]iam.Owner](t)(at.ListEntities(ctx(t), pa.ARN()))
	diff(t, "ListEntities", ents, owners)
	_, err := at.ListEntities(ctx(t), "arn:aws:iam::123456789012:policy/Nope")
	wantErr(t, "ListEntities missing policy", err, store.ErrNotFound)

	for _, o := range owners {
		mustDo(t, at.Detach(ctx(t), o, pa.ARN()))
		wantErr(t, "Detach twice", at.Detach(ctx(t), o, pa.ARN()), store.ErrNotFound)
	}
	diff(t, "ListEntities after detach", must[[]iam.Owner](t)(at.ListEntities(ctx(t), pa.ARN())), []iam.Owner(nil))
	diff(t, "List after detach", must[[]iam.AttachedPolicy](t)(at.List(ctx(t), owners[0])), []iam.AttachedPolicy{{Name: "Beta", ARN: pb.ARN()}})
}

func newKey(id, user string) iam.AccessKey {
	return iam.AccessKey{Account: Account, UserName: user, ID: id, Status: iam.AccessKeyActive, Created: Now,
		SecretCiphertext: []byte("sealed:" + id)}
}

func testAccessKeys(t *testing.T, s store.Store) {
	mustDo(t, s.Users().Create(ctx(t), newUser("Alice")))
	k := s.AccessKeys()
	k1, k2 := newKey("AKIAAAAAAAAAAAAAAAA1", "Alice"), newKey("AKIAAAAAAAAAAAAAAAA2", "Alice")
	k2.Created = Now.Add(time.Second)
	mustDo(t, k.Create(ctx(t), k1))
	k1alias := k2
	k1alias.UserName = "alice" // names are case-insensitive; stored name is returned
	mustDo(t, k.Create(ctx(t), k1alias))

	diff(t, "Get", must[iam.AccessKey](t)(k.Get(ctx(t), k1.ID)), k1)
	diff(t, "ListForUser", must[[]iam.AccessKey](t)(k.ListForUser(ctx(t), Account, "ALICE")), []iam.AccessKey{k1, k2})
	wantErr(t, "Create dup id", k.Create(ctx(t), k1), store.ErrConflict)
	wantErr(t, "Create for missing user", k.Create(ctx(t), newKey("AKIAAAAAAAAAAAAAAAA3", "ghost")), store.ErrNotFound)
	_, err := k.Get(ctx(t), "AKIAMISSING")
	wantErr(t, "Get missing", err, store.ErrNotFound)
	_, err = k.ListForUser(ctx(t), Account, "ghost")
	wantErr(t, "ListForUser missing user", err, store.ErrNotFound)

	mustDo(t, k.SetStatus(ctx(t), k1.ID, iam.AccessKeyInactive))
	used := iam.AccessKeyLastUsed{Date: Now.Add(time.Hour), Service: "sts", Region: "us-east-1"}
	mustDo(t, k.RecordUse(ctx(t), k1.ID, used))
	want := k1
	want.Status, want.LastUsed = iam.AccessKeyInactive, used
	diff(t, "Get after SetStatus/RecordUse", must[iam.AccessKey](t)(k.Get(ctx(t), k1.ID)), want)
	wantErr(t, "SetStatus missing", k.SetStatus(ctx(t), "AKIAMISSING", iam.AccessKeyActive), store.ErrNotFound)
	wantErr(t, "RecordUse missing", k.RecordUse(ctx(t), "AKIAMISSING", used), store.ErrNotFound)

	mustDo(t, k.Delete(ctx(t), k1.ID))
	wantErr(t, "Delete twice", k.Delete(ctx(t), k1.ID), store.ErrNotFound)
	diff(t, "ListForUser after delete", must[[]iam.AccessKey](t)(k.ListForUser(ctx(t), Account, "alice")), []iam.AccessKey{k2})
}

func testMFADevices(t *testing.T, s store.Store) {
	mustDo(t, s.Users().Create(ctx(t), newUser("alice")))
	m := s.MFADevices()
	serial := iam.MFASerial(Account, "/", "alice-phone")
	dev := iam.VirtualMFADevice{Account: Account, SerialNumber: serial, Path: "/", Name: "alice-phone",
		SeedCiphertext: []byte("sealed-seed"), Created: Now, Tags: []iam.Tag{{Key: "k", Value: "v"}}}
	mustDo(t, m.Create(ctx(t), dev))
	diff(t, "Get", must[iam.VirtualMFADevice](t)(m.Get(ctx(t), serial)), dev)
	wantErr(t, "Create dup", m.Create(ctx(t), dev), store.ErrConflict)
	_, err := m.Get(ctx(t), serial+"x")
	wantErr(t, "Get missing", err, store.ErrNotFound)

	wantErr(t, "Assign to missing user", m.Assign(ctx(t), serial, "ghost", Now, 100), store.ErrNotFound)
	wantErr(t, "Assign missing device", m.Assign(ctx(t), serial+"x", "alice", Now, 100), store.ErrNotFound)
	mustDo(t, m.Assign(ctx(t), serial, "ALICE", Now, 100))
	wantErr(t, "Assign twice", m.Assign(ctx(t), serial, "alice", Now, 101), store.ErrConflict)
	want := dev
	want.UserName, want.EnableDate, want.LastStep = "alice", Now, 100
	diff(t, "Get assigned", must[iam.VirtualMFADevice](t)(m.Get(ctx(t), serial)), want)
	diff(t, "ListForUser", must[[]iam.VirtualMFADevice](t)(m.ListForUser(ctx(t), Account, "alice")), []iam.VirtualMFADevice{want})
	_, err = m.ListForUser(ctx(t), Account, "ghost")
	wantErr(t, "ListForUser missing", err, store.ErrNotFound)

	wantErr(t, "AdvanceStep replay", m.AdvanceStep(ctx(t), serial, 100), store.ErrConflict)
	wantErr(t, "AdvanceStep older", m.AdvanceStep(ctx(t), serial, 99), store.ErrConflict)
	mustDo(t, m.AdvanceStep(ctx(t), serial, 101))
	wantErr(t, "AdvanceStep replay 101", m.AdvanceStep(ctx(t), serial, 101), store.ErrConflict)
	wantErr(t, "AdvanceStep missing", m.AdvanceStep(ctx(t), serial+"x", 5), store.ErrNotFound)

	wantErr(t, "Delete assigned", m.Delete(ctx(t), serial), store.ErrConflict)
	mustDo(t, m.Unassign(ctx(t), serial))
	diff(t, "Get unassigned", must[iam.VirtualMFADevice](t)(m.Get(ctx(t), serial)), dev)
	wantErr(t, "Unassign missing", m.Unassign(ctx(t), serial+"x"), store.ErrNotFound)

	other := dev
	other.SerialNumber, other.Name = iam.MFASerial(Account, "/", "backup"), "backup"
	other.Tags = nil
	mustDo(t, m.Create(ctx(t), other))
	var serials []string
	for _, d := range must[[]iam.VirtualMFADevice](t)(m.List(ctx(t), Account)) {
		serials = append(serials, d.SerialNumber)
	}
	diff(t, "List", serials, []string{serial, other.SerialNumber})
	mustDo(t, m.Delete(ctx(t), serial))
	wantErr(t, "Delete twice", m.Delete(ctx(t), serial), store.ErrNotFound)
}

func testKeyMaterial(t *testing.T, s store.Store) {
	km := s.KeyMaterial()
	r1 := store.KeyRecord{Purpose: "session-token", ID: "k2", Ciphertext: []byte{1, 2, 3}, Created: Now}
	r2 := store.KeyRecord{Purpose: "session-token", ID: "k1", Ciphertext: []byte{4}, Created: Now.Add(time.Hour)}
	r3 := store.KeyRecord{Purpose: "other", ID: "k1", Ciphertext: []byte{5}, Created: Now}
	for _, r := range []store.KeyRecord{r1, r2, r3} {
		mustDo(t, km.Put(ctx(t), r))
	}
	wantErr(t, "Put dup", km.Put(ctx(t), r1), store.ErrConflict)
	diff(t, "Get", must[store.KeyRecord](t)(km.Get(ctx(t), "session-token", "k1")), r2)
	_, err := km.Get(ctx(t), "session-token", "nope")
	wantErr(t, "Get missing", err, store.ErrNotFound)
	diff(t, "List", must[[]store.KeyRecord](t)(km.List(ctx(t), "session-token")), []store.KeyRecord{r1, r2})
	mustDo(t, km.Delete(ctx(t), "session-token", "k2"))
	wantErr(t, "Delete twice", km.Delete(ctx(t), "session-token", "k2"), store.ErrNotFound)
	diff(t, "List after delete", must[[]store.KeyRecord](t)(km.List(ctx(t), "session-token")), []store.KeyRecord{r2})
}

// testDeleteConflicts: a user, group or role with dependents cannot be
// deleted, Dependents says why, and removing the dependents frees it.
func testDeleteConflicts(t *testing.T, s store.Store) {
	mustDo(t, s.Users().Create(ctx(t), newUser("alice")))
	mustDo(t, s.Groups().Create(ctx(t), newGroup("devs")))
	mustDo(t, s.Roles().Create(ctx(t), newRole("ci")))
	pol := newPolicy("P")
	mustDo(t, s.Policies().Create(ctx(t), pol, doc("*")))
	mustDo(t, s.AccessKeys().Create(ctx(t), newKey("AKIAAAAAAAAAAAAAAAA1", "alice")))
	serial := iam.MFASerial(Account, "/", "alice")
	mustDo(t, s.MFADevices().Create(ctx(t), iam.VirtualMFADevice{Account: Account, SerialNumber: serial, Path: "/", Name: "alice", SeedCiphertext: []byte{1}, Created: Now}))
	mustDo(t, s.MFADevices().Assign(ctx(t), serial, "alice", Now, 1))
	mustDo(t, s.Groups().AddUser(ctx(t), Account, "devs", "alice"))
	for _, o := range []iam.Owner{userOwner("alice"), groupOwner("devs"), roleOwner("ci")} {
		mustDo(t, s.InlinePolicies().Put(ctx(t), o, iam.InlinePolicy{Name: "inline", Document: doc("*")}))
		mustDo(t, s.Attachments().Attach(ctx(t), o, pol.ARN()))
	}

	diff(t, "user Dependents", must[iam.UserDependents](t)(s.Users().Dependents(ctx(t), Account, "alice")),
		iam.UserDependents{InlinePolicies: 1, AttachedPolicies: 1, Groups: 1, AccessKeys: 1, MFADevices: 1})
	diff(t, "group Dependents", must[iam.GroupDependents](t)(s.Groups().Dependents(ctx(t), Account, "devs")),
		iam.GroupDependents{Users: 1, InlinePolicies: 1, AttachedPolicies: 1})
	diff(t, "role Dependents", must[iam.RoleDependents](t)(s.Roles().Dependents(ctx(t), Account, "ci")),
		iam.RoleDependents{InlinePolicies: 1, AttachedPolicies: 1})

	// Remove dependents one at a time; Delete fails until the last is gone.
	userSteps := []func() error{
		func() error { return s.AccessKeys().Delete(ctx(t), "AKIAAAAAAAAAAAAAAAA1") },
		func() error { return s.MFADevices().Unassign(ctx(t), serial) },
		func() error { return s.InlinePolicies().Delete(ctx(t), userOwner("alice"), "inline") },
		func() error { return s.Attachments().Detach(ctx(t), userOwner("alice"), pol.ARN()) },
		func() error { return s.Groups().RemoveUser(ctx(t), Account, "devs", "alice") },
	}
	for i, step := range userSteps {
		wantErr(t, "Delete user with dependents", s.Users().Delete(ctx(t), Account, "alice"), store.ErrConflict)
		if err := step(); err != nil {
			t.Fatalf("user step %d: %v", i, err)
		}
	}
	mustDo(t, s.Users().Delete(ctx(t), Account, "alice"))

	wantErr(t, "Delete group with policies", s.Groups().Delete(ctx(t), Account, "devs"), store.ErrConflict)
	mustDo(t, s.InlinePolicies().Delete(ctx(t), groupOwner("devs"), "inline"))
	wantErr(t, "Delete group with attachment", s.Groups().Delete(ctx(t), Account, "devs"), store.ErrConflict)
	mustDo(t, s.Attachments().Detach(ctx(t), groupOwner("devs"), pol.ARN()))
	mustDo(t, s.Groups().Delete(ctx(t), Account, "devs"))

	wantErr(t, "Delete role with policies", s.Roles().Delete(ctx(t), Account, "ci"), store.ErrConflict)
	mustDo(t, s.InlinePolicies().Delete(ctx(t), roleOwner("ci"), "inline"))
	wantErr(t, "Delete role with attachment", s.Roles().Delete(ctx(t), Account, "ci"), store.ErrConflict)
	mustDo(t, s.Attachments().Detach(ctx(t), roleOwner("ci"), pol.ARN()))
	mustDo(t, s.Roles().Delete(ctx(t), Account, "ci"))
	mustDo(t, s.Policies().Delete(ctx(t), pol.ARN()))
}
