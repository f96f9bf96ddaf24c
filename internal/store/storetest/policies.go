package storetest

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

func testPolicies(t *testing.T, s store.Store) {
	p := s.Policies()
	pol := newPolicy("ReadOnly")
	pol.Path = "/team/"
	pol.Description = "read everything"
	pol.Tags = []iam.Tag{{Key: "owner", Value: "sec"}}
	mustDo(t, p.Create(ctx(t), pol, doc("s3:Get*")))

	want := pol
	want.Updated, want.DefaultVersion = Now, "v1"
	got := must[iam.ManagedPolicy](t)(p.Get(ctx(t), pol.ARN()))
	diff(t, "Get", got, want)
	if pol.ARN() != "arn:aws:iam::123456789012:policy/team/ReadOnly" {
		t.Errorf("ARN = %q", pol.ARN())
	}
	_, err := p.Get(ctx(t), "arn:aws:iam::123456789012:policy/Nope")
	wantErr(t, "Get missing", err, store.ErrNotFound)

	dup := newPolicy("READONLY")
	wantErr(t, "Create same name other case and path", p.Create(ctx(t), dup, doc("*")), store.ErrConflict)
	other := newPolicy("x")
	other.Account = "999999999999"
	wantErr(t, "Create in missing account", p.Create(ctx(t), other, doc("*")), store.ErrNotFound)

	// AWS managed policies live in the "aws" pseudo-account.
	mustDo(t, s.Accounts().Create(ctx(t), iam.Account{ID: iam.AWSAccount, Created: Now}))
	awsPol := iam.ManagedPolicy{Account: iam.AWSAccount, ID: "ANPAAWSREADONLYXXXX", Name: "ReadOnlyAccess", Path: "/", Created: Now}
	mustDo(t, p.Create(ctx(t), awsPol, doc("*:Get*")))
	gotAWS := must[iam.ManagedPolicy](t)(p.Get(ctx(t), "arn:aws:iam::aws:policy/ReadOnlyAccess"))
	if !gotAWS.AWSManaged() || gotAWS.Name != "ReadOnlyAccess" {
		t.Errorf("Get AWS managed: got %+v", gotAWS)
	}

	mustDo(t, p.Create(ctx(t), newPolicy("Admin"), doc("*")))
	var names []string
	for _, pl := range must[[]iam.ManagedPolicy](t)(p.List(ctx(t), Account, store.ListOptions{})) {
		names = append(names, pl.Name)
	}
	diff(t, "List", names, []string{"Admin", "ReadOnly"})
	names = nil
	for _, pl := range must[[]iam.ManagedPolicy](t)(p.List(ctx(t), iam.AWSAccount, store.ListOptions{})) {
		names = append(names, pl.Name)
	}
	diff(t, "List aws", names, []string{"ReadOnlyAccess"})

	tags := []iam.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}
	mustDo(t, p.SetTags(ctx(t), pol.ARN(), tags))
	diff(t, "tags after SetTags", must[iam.ManagedPolicy](t)(p.Get(ctx(t), pol.ARN())).Tags, tags)
	wantErr(t, "SetTags missing", p.SetTags(ctx(t), "arn:aws:iam::123456789012:policy/Nope", tags), store.ErrNotFound)

	// Counts: two attachments and one boundary use.
	mustDo(t, s.Users().Create(ctx(t), newUser("u1")))
	mustDo(t, s.Roles().Create(ctx(t), newRole("r1")))
	mustDo(t, s.Attachments().Attach(ctx(t), userOwner("u1"), pol.ARN()))
	mustDo(t, s.Attachments().Attach(ctx(t), roleOwner("r1"), pol.ARN()))
	withBoundary := newUser("u2")
	withBoundary.PermissionsBoundary = pol.ARN()
	mustDo(t, s.Users().Create(ctx(t), withBoundary))
	got = must[iam.ManagedPolicy](t)(p.Get(ctx(t), pol.ARN()))
	if got.AttachmentCount != 2 || got.BoundaryUsageCount != 1 {
		t.Errorf("counts: got attachments %d boundary %d, want 2 and 1", got.AttachmentCount, got.BoundaryUsageCount)
	}

	wantErr(t, "Delete attached", p.Delete(ctx(t), pol.ARN()), store.ErrConflict)
	mustDo(t, s.Attachments().Detach(ctx(t), userOwner("u1"), pol.ARN()))
	mustDo(t, s.Attachments().Detach(ctx(t), roleOwner("r1"), pol.ARN()))
	wantErr(t, "Delete used as boundary", p.Delete(ctx(t), pol.ARN()), store.ErrConflict)
	withBoundary.PermissionsBoundary = ""
	mustDo(t, s.Users().Update(ctx(t), withBoundary))
	_ = must[iam.PolicyVersion](t)(p.CreateVersion(ctx(t), pol.ARN(), doc("s3:*"), Now, false))
	mustDo(t, p.Delete(ctx(t), pol.ARN()))
	_, err = p.Get(ctx(t), pol.ARN())
	wantErr(t, "Get deleted", err, store.ErrNotFound)
	_, err = p.GetVersion(ctx(t), pol.ARN(), "v2")
	wantErr(t, "GetVersion of deleted policy", err, store.ErrNotFound)
	wantErr(t, "Delete missing", p.Delete(ctx(t), pol.ARN()), store.ErrNotFound)

	// The name is free again.
	mustDo(t, p.Create(ctx(t), newPolicy("readonly"), doc("*")))
}

func testPolicyVersions(t *testing.T, s store.Store) {
	p := s.Policies()
	pol := newPolicy("P")
	arn := pol.ARN()
	mustDo(t, p.Create(ctx(t), pol, doc("a:1")))
	diff(t, "GetVersion v1", must[iam.PolicyVersion](t)(p.GetVersion(ctx(t), arn, "v1")),
		iam.PolicyVersion{VersionID: "v1", Document: doc("a:1"), IsDefault: true, Created: Now})

	t1, t2 := Now.Add(time.Minute), Now.Add(2*time.Minute)
	v2 := must[iam.PolicyVersion](t)(p.CreateVersion(ctx(t), arn, doc("a:2"), t1, false))
	diff(t, "CreateVersion v2", v2, iam.PolicyVersion{VersionID: "v2", Document: doc("a:2"), Created: t1})
	v3 := must[iam.PolicyVersion](t)(p.CreateVersion(ctx(t), arn, doc("a:3"), t2, true))
	diff(t, "CreateVersion v3", v3, iam.PolicyVersion{VersionID: "v3", Document: doc("a:3"), IsDefault: true, Created: t2})

	got := must[iam.ManagedPolicy](t)(p.Get(ctx(t), arn))
	if got.DefaultVersion != "v3" || !got.Updated.Equal(t2) {
		t.Errorf("after default v3: DefaultVersion %q Updated %v, want v3 and %v", got.DefaultVersion, got.Updated, t2)
	}
	var ids []string
	for _, v := range must[[]iam.PolicyVersion](t)(p.ListVersions(ctx(t), arn)) {
		id := v.VersionID
		if v.IsDefault {
			id += "*"
		}
		ids = append(ids, id)
	}
	diff(t, "ListVersions", ids, []string{"v3*", "v2", "v1"})

	wantErr(t, "DeleteVersion default", p.DeleteVersion(ctx(t), arn, "v3"), store.ErrConflict)
	wantErr(t, "DeleteVersion missing", p.DeleteVersion(ctx(t), arn, "v9"), store.ErrNotFound)
	mustDo(t, p.SetDefaultVersion(ctx(t), arn, "v1", t2.Add(time.Minute)))
	wantErr(t, "SetDefaultVersion missing", p.SetDefaultVersion(ctx(t), arn, "v9", t2), store.ErrNotFound)
	mustDo(t, p.DeleteVersion(ctx(t), arn, "v3"))
	_, err := p.GetVersion(ctx(t), arn, "v3")
	wantErr(t, "GetVersion deleted", err, store.ErrNotFound)

	// Version ids are never reused: after deleting v3 the next is v4.
	v4 := must[iam.PolicyVersion](t)(p.CreateVersion(ctx(t), arn, doc("a:4"), t2, false))
	if v4.VersionID != "v4" {
		t.Errorf("next version after deleting v3: got %s, want v4", v4.VersionID)
	}
	if v := must[iam.PolicyVersion](t)(p.GetVersion(ctx(t), arn, "v1")); !v.IsDefault {
		t.Errorf("v1 IsDefault = false after SetDefaultVersion")
	}
	_, err = p.CreateVersion(ctx(t), "arn:aws:iam::123456789012:policy/Nope", doc("*"), Now, true)
	wantErr(t, "CreateVersion missing policy", err, store.ErrNotFound)
	_, err = p.ListVersions(ctx(t), "arn:aws:iam::123456789012:policy/Nope")
	wantErr(t, "ListVersions missing policy", err, store.ErrNotFound)
}

// testPolicyPutVersion: PutVersion writes a version under its own id,
// replaces one that exists, leaves the default alone, and moves the
// sequence so that CreateVersion continues after the highest id.
func testPolicyPutVersion(t *testing.T, s store.Store) {
	p := s.Policies()
	pol := newPolicy("Put")
	arn := pol.ARN()
	mustDo(t, p.Create(ctx(t), pol, doc("a:1")))
	t1 := Now.Add(time.Hour)
	mustDo(t, p.PutVersion(ctx(t), arn, iam.PolicyVersion{VersionID: "v4", Document: doc("a:4"), Created: t1, IsDefault: true}))
	diff(t, "GetVersion v4", must[iam.PolicyVersion](t)(p.GetVersion(ctx(t), arn, "v4")),
		iam.PolicyVersion{VersionID: "v4", Document: doc("a:4"), Created: t1})
	if got := must[iam.ManagedPolicy](t)(p.Get(ctx(t), arn)); got.DefaultVersion != "v1" {
		t.Errorf("DefaultVersion after PutVersion v4: got %s, want v1", got.DefaultVersion)
	}
	mustDo(t, p.PutVersion(ctx(t), arn, iam.PolicyVersion{VersionID: "v1", Document: doc("b:1"), Created: t1}))
	diff(t, "GetVersion v1 replaced", must[iam.PolicyVersion](t)(p.GetVersion(ctx(t), arn, "v1")),
		iam.PolicyVersion{VersionID: "v1", Document: doc("b:1"), IsDefault: true, Created: t1})
	v5 := must[iam.PolicyVersion](t)(p.CreateVersion(ctx(t), arn, doc("a:5"), t1, false))
	if v5.VersionID != "v5" {
		t.Errorf("CreateVersion after PutVersion v4: got %s, want v5", v5.VersionID)
	}
	// A lower id does not move the sequence back.
	mustDo(t, p.PutVersion(ctx(t), arn, iam.PolicyVersion{VersionID: "v2", Document: doc("a:2"), Created: t1}))
	v6 := must[iam.PolicyVersion](t)(p.CreateVersion(ctx(t), arn, doc("a:6"), t1, false))
	if v6.VersionID != "v6" {
		t.Errorf("CreateVersion after PutVersion v2: got %s, want v6", v6.VersionID)
	}
	var ids []string
	for _, v := range must[[]iam.PolicyVersion](t)(p.ListVersions(ctx(t), arn)) {
		ids = append(ids, v.VersionID)
	}
	diff(t, "ListVersions", ids, []string{"v6", "v5", "v4", "v2", "v1"})
	if err := p.PutVersion(ctx(t), arn, iam.PolicyVersion{VersionID: "x1", Document: doc("a:1"), Created: t1}); err == nil {
		t.Errorf("PutVersion x1: got no error")
	}
	wantErr(t, "PutVersion missing policy",
		p.PutVersion(ctx(t), "arn:aws:iam::123456789012:policy/Nope", iam.PolicyVersion{VersionID: "v1", Document: doc("*"), Created: t1}),
		store.ErrNotFound)
}
