package importer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/importer"
	"github.com/brevet-dev/brevet/internal/iam/managed"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
)

const (
	docAllowS3   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	docAllowIAM  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`
	examplePolID = "ANPAEXAMPLE0000000001"
)

// authDetails is a get-account-authorization-details --filter
// AWSManagedPolicy file with one policy, its versions given as
// (id, document) pairs, the last one default.
func authDetails(arn string, versions ...string) string {
	var vl []string
	for i := 0; i < len(versions); i += 2 {
		vl = append(vl, `{"Document":`+versions[i+1]+`,"VersionId":"`+versions[i]+`","IsDefaultVersion":`+
			map[bool]string{true: "true", false: "false"}[i == len(versions)-2]+`,"CreateDate":"2024-0`+
			string(rune('1'+i/2))+`-01T00:00:00Z"}`)
	}
	name := arn[strings.LastIndex(arn, "/")+1:]
	return `{"UserDetailList":[],"GroupDetailList":[],"RoleDetailList":[],"Policies":[{"PolicyName":"` + name +
		`","PolicyId":"` + examplePolID + `","Arn":"` + arn + `","Path":"/service-role/","DefaultVersionId":"` + versions[len(versions)-2] +
		`","AttachmentCount":7,"PermissionsBoundaryUsageCount":0,"IsAttachable":true,"CreateDate":"2020-01-01T00:00:00Z",` +
		`"UpdateDate":"2024-06-01T00:00:00Z","PolicyVersionList":[` + strings.Join(vl, ",") + `]}],"IsTruncated":false}`
}

const exampleARN = "arn:aws:iam::aws:policy/service-role/ExampleServiceRolePolicy"

func importAWS(t *testing.T, st store.Store, file string) (importer.AWSManagedSummary, error) {
	t.Helper()
	f, err := importer.ReadAWSManaged(strings.NewReader(file))
	if err != nil {
		return importer.AWSManagedSummary{}, err
	}
	return importer.ImportAWSManaged(context.Background(), st, f, now, nil)
}

func versionIDs(t *testing.T, st store.Store, arn string) []string {
	t.Helper()
	vs, err := st.Policies().ListVersions(context.Background(), arn)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range vs {
		id := v.VersionID
		if v.IsDefault {
			id += "*"
		}
		ids = append(ids, id)
	}
	return ids
}

// TestImportAWSManagedUpsert: a first import keeps AWS's id, dates and
// version ids; importing it again changes nothing; a newer version is
// added and becomes the default while the policy stays attached; a policy
// the file no longer names stays.
func TestImportAWSManagedUpsert(t *testing.T) {
	teststores.Each(t, func() time.Time { return now }, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		if err := managed.Seed(ctx, st, now); err != nil {
			t.Fatal(err)
		}
		first := authDetails(exampleARN, "v2", docAllowIAM, "v3", docAllowS3)
		sum, err := importAWS(t, st, first)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(importer.AWSManagedSummary{Added: 1}, sum); diff != "" {
			t.Errorf("first import summary (-want +got):\n%s", diff)
		}
		pol, err := st.Policies().Get(ctx, exampleARN)
		if err != nil {
			t.Fatal(err)
		}
		want := iam.ManagedPolicy{Account: iam.AWSAccount, ID: examplePolID, Name: "ExampleServiceRolePolicy", Path: "/service-role/",
			Created: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Updated: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), DefaultVersion: "v3"}
		if diff := cmp.Diff(want, pol); diff != "" {
			t.Errorf("imported policy (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"v3*", "v2"}, versionIDs(t, st, exampleARN)); diff != "" {
			t.Errorf("versions (-want +got):\n%s", diff)
		}
		v2, err := st.Policies().GetVersion(ctx, exampleARN, "v2")
		if err != nil || v2.Document != docAllowIAM || !v2.Created.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("v2: got %+v, %v", v2, err)
		}

		if sum, err := importAWS(t, st, first); err != nil || sum != (importer.AWSManagedSummary{Unchanged: 1}) {
			t.Errorf("second import: got %+v, %v; want 1 unchanged", sum, err)
		}

		// Attach it, then import a file with only the newer v4.
		role := iam.Role{Account: "123456789012", Name: "r", Path: "/", ID: "AROAEXAMPLE0000000001", TrustPolicy: docAllowS3,
			MaxSessionDuration: 3600, Created: now}
		if err := st.Accounts().Create(ctx, iam.Account{ID: role.Account, Created: now}); err != nil {
			t.Fatal(err)
		}
		if err := st.Roles().Create(ctx, role); err != nil {
			t.Fatal(err)
		}
		owner := iam.Owner{Kind: iam.PrincipalRole, Account: role.Account, Name: role.Name}
		if err := st.Attachments().Attach(ctx, owner, exampleARN); err != nil {
			t.Fatal(err)
		}
		newer := authDetails(exampleARN, "v4", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
		if sum, err := importAWS(t, st, newer); err != nil || sum != (importer.AWSManagedSummary{Updated: 1}) {
			t.Fatalf("newer import: got %+v, %v; want 1 updated", sum, err)
		}
		if diff := cmp.Diff([]string{"v4*", "v3", "v2"}, versionIDs(t, st, exampleARN)); diff != "" {
			t.Errorf("versions after the newer import (-want +got):\n%s", diff)
		}
		pol, err = st.Policies().Get(ctx, exampleARN)
		if err != nil || pol.AttachmentCount != 1 || pol.ID != examplePolID {
			t.Errorf("after the newer import: got %+v, %v; want still attached once, same id", pol, err)
		}

		// Built-in policies the file does not name are left alone.
		for _, p := range managed.Policies() {
			if _, err := st.Policies().Get(ctx, p.ARN()); err != nil {
				t.Errorf("%s: %v", p.ARN(), err)
			}
		}
	})
}

// TestImportAWSManagedReplacesBuiltin: an unattached built-in policy is
// replaced by the file's (AWS's id and versions only); an attached one
// keeps its id and attachments, takes the file's versions and loses
// Brevet's document.
func TestImportAWSManagedReplacesBuiltin(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	const admin = "arn:aws:iam::aws:policy/AdministratorAccess"
	const readOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	if err := st.Accounts().Create(ctx, iam.Account{ID: "123456789012", Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.Groups().Create(ctx, iam.Group{Account: "123456789012", Name: "g", Path: "/", ID: "AGPAEXAMPLE0000000001", Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.Attachments().Attach(ctx, iam.Owner{Kind: iam.PrincipalGroup, Account: "123456789012", Name: "g"}, readOnly); err != nil {
		t.Fatal(err)
	}
	before, err := st.Policies().Get(ctx, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	file := `{"Policies":[` +
		`{"PolicyName":"AdministratorAccess","PolicyId":"ANPAIWMBCKSKIEE64ZLYK","Arn":"` + admin + `","Path":"/","DefaultVersionId":"v1",` +
		`"PolicyVersionList":[{"Document":` + docAllowS3 + `,"VersionId":"v1","IsDefaultVersion":true}]},` +
		`{"PolicyName":"ReadOnlyAccess","PolicyId":"ANPAILL3HVNFSB6DCOWYQ","Arn":"` + readOnly + `","Path":"/","DefaultVersionId":"v7",` +
		`"PolicyVersionList":[{"Document":` + docAllowIAM + `,"VersionId":"v7","IsDefaultVersion":true}]}]}`
	if sum, err := importAWS(t, st, file); err != nil || sum != (importer.AWSManagedSummary{Updated: 2}) {
		t.Fatalf("import: got %+v, %v; want 2 updated", sum, err)
	}
	got, err := st.Policies().Get(ctx, admin)
	if err != nil || got.ID != "ANPAIWMBCKSKIEE64ZLYK" {
		t.Errorf("AdministratorAccess: got id %q (%v), want the file's", got.ID, err)
	}
	if diff := cmp.Diff([]string{"v1*"}, versionIDs(t, st, admin)); diff != "" {
		t.Errorf("AdministratorAccess versions (-want +got):\n%s", diff)
	}
	got, err = st.Policies().Get(ctx, readOnly)
	if err != nil || got.ID != before.ID || got.AttachmentCount != 1 || got.DefaultVersion != "v7" {
		t.Errorf("ReadOnlyAccess: got %+v (%v); want id %s kept, attached once, default v7", got, err, before.ID)
	}
	// Brevet's own document, its v1, is gone.
	if diff := cmp.Diff([]string{"v7*"}, versionIDs(t, st, readOnly)); diff != "" {
		t.Errorf("ReadOnlyAccess versions (-want +got):\n%s", diff)
	}

	// Without a PolicyId in the file, an unattached built-in policy is
	// replaced all the same.
	const denyAll = "arn:aws:iam::aws:policy/AWSDenyAll"
	file = `{"Policies":[{"Arn":"` + denyAll + `","DefaultVersionId":"v2","Description":"d",` +
		`"PolicyVersionList":[{"Document":` + docAllowS3 + `,"VersionId":"v2","IsDefaultVersion":true}]}]}`
	if sum, err := importAWS(t, st, file); err != nil || sum != (importer.AWSManagedSummary{Updated: 1}) {
		t.Fatalf("AWSDenyAll import: got %+v, %v; want 1 updated", sum, err)
	}
	if diff := cmp.Diff([]string{"v2*"}, versionIDs(t, st, denyAll)); diff != "" {
		t.Errorf("AWSDenyAll versions (-want +got):\n%s", diff)
	}
	if got, err := st.Policies().Get(ctx, denyAll); err != nil || got.Description != "d" {
		t.Errorf("AWSDenyAll: got %+v, %v; want the file's description", got, err)
	}
	if sum, err := importAWS(t, st, file); err != nil || sum != (importer.AWSManagedSummary{Unchanged: 1}) {
		t.Errorf("AWSDenyAll again: got %+v, %v; want 1 unchanged", sum, err)
	}
}

// TestImportAWSManagedRejects: nothing is written when one policy of the
// file is bad, and the error names it.
func TestImportAWSManagedRejects(t *testing.T) {
	good := `{"PolicyName":"Good","Arn":"arn:aws:iam::aws:policy/Good","Path":"/","DefaultVersionId":"v1",` +
		`"PolicyVersionList":[{"Document":` + docAllowS3 + `,"VersionId":"v1","IsDefaultVersion":true}]}`
	policy := func(arn, doc, version string) string {
		return `{"Arn":"` + arn + `","PolicyVersionList":[{"Document":` + doc + `,"VersionId":"` + version + `","IsDefaultVersion":true}]}`
	}
	for _, tc := range []struct{ name, file, want string }{
		{"not JSON", `{"Policies":[`, "reading the AWS managed policies"},
		{"no Policies", `{"Roles":[]}`, "no Policies list"},
		{"an account export", `{"UserDetailList":[{"UserName":"alice"}],"Policies":[` + good + `]}`, "users, groups or roles"},
		{"a customer policy ARN", `{"Policies":[` + good + `,` + policy("arn:aws:iam::123456789012:policy/Mine", docAllowS3, "v1") + `]}`,
			`policy arn:aws:iam::123456789012:policy/Mine: "arn:aws:iam::123456789012:policy/Mine" is not an AWS managed policy ARN`},
		{"a role ARN", `{"Policies":[` + policy("arn:aws:iam::aws:role/x", docAllowS3, "v1") + `]}`, "is not an AWS managed policy ARN"},
		{"a document that does not parse", `{"Policies":[` + good + `,` + policy("arn:aws:iam::aws:policy/Bad", `{"Statement":[{"Effect":"Perhaps","Action":"*","Resource":"*"}]}`, "v1") + `]}`,
			"policy arn:aws:iam::aws:policy/Bad: version v1: the document does not parse"},
		{"a document that is not JSON", `{"Policies":[` + policy("arn:aws:iam::aws:policy/Bad", `"{not json"`, "v1") + `]}`,
			"policy arn:aws:iam::aws:policy/Bad: version v1: the document does not parse"},
		{"no versions", `{"Policies":[{"Arn":"arn:aws:iam::aws:policy/Bare"}]}`, "no document for it"},
		{"a bad version id", `{"Policies":[` + policy("arn:aws:iam::aws:policy/V", docAllowS3, "1") + `]}`, `policy version id "1" is not vN`},
		{"a default not given", `{"Policies":[{"Arn":"arn:aws:iam::aws:policy/D","DefaultVersionId":"v9","PolicyVersionList":[{"Document":` + docAllowS3 + `,"VersionId":"v1"}]}]}`,
			"default version v9 is not among the versions given"},
		{"a name that is not the ARN's", `{"Policies":[{"PolicyName":"Other","Arn":"arn:aws:iam::aws:policy/N","PolicyVersionList":[{"Document":` + docAllowS3 + `,"VersionId":"v1"}]}]}`,
			`PolicyName "Other" does not match the ARN`},
		{"a policy given twice", `{"Policies":[` + good + `,` + good + `]}`, "given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			_, err := importAWS(t, st, tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if _, err := st.Policies().Get(context.Background(), "arn:aws:iam::aws:policy/Good"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the good policy of the file: got %v, want ErrNotFound (nothing imported)", err)
			}
		})
	}
}

// TestImportAWSManagedListPoliciesForm reads list-policies entries that
// carry get-policy-version's PolicyVersion.
func TestImportAWSManagedListPoliciesForm(t *testing.T) {
	st := openStore(t)
	file := `{"Policies":[{"PolicyName":"Listed","PolicyId":"` + examplePolID + `","Arn":"arn:aws:iam::aws:policy/Listed","Path":"/",` +
		`"DefaultVersionId":"v5","AttachmentCount":0,"IsAttachable":true,"CreateDate":"2019-01-01T00:00:00+00:00","UpdateDate":"2023-01-01T00:00:00+00:00",` +
		`"PolicyVersion":{"Document":` + docAllowS3 + `,"VersionId":"v5","IsDefaultVersion":true,"CreateDate":"2023-01-01T00:00:00+00:00"}}]}`
	if sum, err := importAWS(t, st, file); err != nil || sum.Added != 1 {
		t.Fatalf("got %+v, %v", sum, err)
	}
	if diff := cmp.Diff([]string{"v5*"}, versionIDs(t, st, "arn:aws:iam::aws:policy/Listed")); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}
