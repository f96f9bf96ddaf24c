package importer_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/iam/importer"
	"github.com/brevet-dev/brevet/internal/iam/managed"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/vectortest"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "brevet.db"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := managed.Seed(context.Background(), st, now); err != nil {
		t.Fatal(err)
	}
	return st
}

// mot is one entry of the moto vector file: name → this.
type motoPolicy struct {
	CreateDate, UpdateDate string
	DefaultVersionId       string
	Document               json.RawMessage
	Path                   string
}

// TestImportAWSManagedPolicies imports every AWS managed policy of the
// moto vector, shaped as get-account-authorization-details prints them,
// and reads each one back.
func TestImportAWSManagedPolicies(t *testing.T) {
	dir := vectortest.Dir(t, "aws-managed-policies-moto")
	data, err := os.ReadFile(filepath.Join(dir, "aws_managed_policies.json"))
	if err != nil {
		t.Fatal(err)
	}
	var moto map[string]motoPolicy
	if err := json.Unmarshal(data, &moto); err != nil {
		t.Fatal(err)
	}
	type version struct {
		Document         json.RawMessage
		VersionId        string
		IsDefaultVersion bool
		CreateDate       string
	}
	type detail struct {
		PolicyName, Arn, Path, DefaultVersionId string
		CreateDate, UpdateDate                  string
		PolicyVersionList                       []version
	}
	var file struct{ Policies []detail }
	for name, p := range moto {
		file.Policies = append(file.Policies, detail{PolicyName: name, Arn: "arn:aws:iam::aws:policy" + p.Path + name, Path: p.Path,
			DefaultVersionId: p.DefaultVersionId, CreateDate: p.CreateDate, UpdateDate: p.UpdateDate,
			PolicyVersionList: []version{{Document: p.Document, VersionId: p.DefaultVersionId, IsDefaultVersion: true, CreateDate: p.UpdateDate}}})
	}
	raw, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := importer.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	ctx := context.Background()
	sum, err := importer.Import(ctx, st, f, importer.Options{Account: "123456789012", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if sum.AWSManagedPolicies != len(moto) {
		t.Errorf("imported %d AWS managed policies, want %d", sum.AWSManagedPolicies, len(moto))
	}
	stored, err := st.Policies().List(ctx, iam.AWSAccount, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The built-in set augments the imported one where AWS has no policy
	// of that name (AWSDenyAll is real, but not in every export).
	if len(stored) < len(moto) {
		t.Errorf("store holds %d AWS managed policies, want at least %d", len(stored), len(moto))
	}
	for name, p := range moto {
		arn := "arn:aws:iam::aws:policy" + p.Path + name
		pol, err := st.Policies().Get(ctx, arn)
		if err != nil {
			t.Errorf("%s: %v", arn, err)
			continue
		}
		if pol.DefaultVersion != p.DefaultVersionId {
			t.Errorf("%s: default version %s, want %s", name, pol.DefaultVersion, p.DefaultVersionId)
		}
		v, err := st.Policies().GetVersion(ctx, arn, pol.DefaultVersion)
		if err != nil {
			t.Errorf("%s: %v", arn, err)
			continue
		}
		var want bytes.Buffer
		if err := json.Compact(&want, p.Document); err != nil {
			t.Fatal(err)
		}
		if v.Document != want.String() {
			t.Errorf("%s: stored document differs from the export", name)
		}
		if vs, err := st.Policies().ListVersions(ctx, arn); err != nil || len(vs) != 1 {
			t.Errorf("%s: %d versions (%v), want 1", name, len(vs), err)
		}
	}
}

// TestRoundTrip exports an account with GetAccountAuthorizationDetails,
// imports it into another store and account, and exports that: the two
// exports describe the same configuration.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	const src, dst = "111111111111", "222222222222"
	a := openStore(t)
	if err := a.Accounts().Create(ctx, iam.Account{ID: src, Created: now}); err != nil {
		t.Fatal(err)
	}
	svcA := newService(t, a)
	p := &identity.Principal{Type: identity.Root, Account: src, CallerARN: iam.RootARN(src)}
	build(t, svcA, p)
	export := details(t, svcA, p)
	raw, err := json.Marshal(export)
	if err != nil {
		t.Fatal(err)
	}
	f, err := importer.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b := openStore(t)
	sum, err := importer.Import(ctx, b, f, importer.Options{Account: dst, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if want := (importer.Summary{Users: 1, Groups: 1, Roles: 1, Policies: 1, AWSManagedPolicies: 2, InstanceProfiles: 1}); sum != want {
		t.Errorf("Summary = %+v, want %+v", sum, want)
	}
	again := details(t, newService(t, b), &identity.Principal{Type: identity.Root, Account: dst, CallerARN: iam.RootARN(dst)})
	if diff := cmp.Diff(normalize(export, src), normalize(again, dst)); diff != "" {
		t.Errorf("re-exported details (-first +second):\n%s", diff)
	}
	// Importing twice changes nothing.
	if _, err := importer.Import(ctx, b, f, importer.Options{Account: dst, Now: now}); err != nil {
		t.Fatalf("second import: %v", err)
	}
	twice := details(t, newService(t, b), &identity.Principal{Type: identity.Root, Account: dst, CallerARN: iam.RootARN(dst)})
	if diff := cmp.Diff(normalize(export, src), normalize(twice, dst)); diff != "" {
		t.Errorf("after a second import (-first +second):\n%s", diff)
	}
}

func newService(t *testing.T, st store.Store) *iamservice.Service {
	t.Helper()
	mk, err := masterkey.Generate(rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := iamservice.New(iamservice.Config{Store: st, MasterKey: mk})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func build(t *testing.T, s *iamservice.Service, p *identity.Principal) {
	t.Helper()
	ctx := context.Background()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	check := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	pol, err := s.CreatePolicy(ctx, p, &iamapi.CreatePolicyRequest{PolicyName: "list", Path: "/x/", PolicyDocument: doc, Description: "lists"}, now)
	check(pol, err)
	check(s.CreatePolicyVersion(ctx, p, &iamapi.CreatePolicyVersionRequest{PolicyArn: pol.Policy.Arn, PolicyDocument: doc, SetAsDefault: ptr(true)}, now))
	check(s.DeletePolicyVersion(ctx, p, &iamapi.DeletePolicyVersionRequest{PolicyArn: pol.Policy.Arn, VersionId: "v1"}, now))
	check(s.CreateGroup(ctx, p, &iamapi.CreateGroupRequest{GroupName: "devs", Path: "/g/"}, now))
	check(s.PutGroupPolicy(ctx, p, &iamapi.PutGroupPolicyRequest{GroupName: "devs", PolicyName: "gp", PolicyDocument: doc}, now))
	check(s.AttachGroupPolicy(ctx, p, &iamapi.AttachGroupPolicyRequest{GroupName: "devs", PolicyArn: pol.Policy.Arn}, now))
	check(s.CreateUser(ctx, p, &iamapi.CreateUserRequest{UserName: "ann", Tags: []iamapi.Tag{{Key: "k", Value: "v"}},
		PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess"}, now))
	check(s.AddUserToGroup(ctx, p, &iamapi.AddUserToGroupRequest{GroupName: "devs", UserName: "ann"}, now))
	check(s.PutUserPolicy(ctx, p, &iamapi.PutUserPolicyRequest{UserName: "ann", PolicyName: "up", PolicyDocument: doc}, now))
	check(s.AttachUserPolicy(ctx, p, &iamapi.AttachUserPolicyRequest{UserName: "ann", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}, now))
	check(s.CreateRole(ctx, p, &iamapi.CreateRoleRequest{RoleName: "app", AssumeRolePolicyDocument: trust, Tags: []iamapi.Tag{{Key: "env", Value: "prod"}}}, now))
	check(s.PutRolePolicy(ctx, p, &iamapi.PutRolePolicyRequest{RoleName: "app", PolicyName: "rp", PolicyDocument: doc}, now))
	check(s.AttachRolePolicy(ctx, p, &iamapi.AttachRolePolicyRequest{RoleName: "app", PolicyArn: pol.Policy.Arn}, now))
	check(s.CreateInstanceProfile(ctx, p, &iamapi.CreateInstanceProfileRequest{InstanceProfileName: "app-host", Path: "/hosts/"}, now))
	check(s.AddRoleToInstanceProfile(ctx, p, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: "app-host", RoleName: "app"}, now))
}

func ptr[T any](v T) *T { return &v }

func details(t *testing.T, s *iamservice.Service, p *identity.Principal) *iamapi.GetAccountAuthorizationDetailsResponse {
	t.Helper()
	d, err := s.GetAccountAuthorizationDetails(context.Background(), p, &iamapi.GetAccountAuthorizationDetailsRequest{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// normalize drops what differs between accounts by design: unique ids
// and the account id in ARNs.
func normalize(d *iamapi.GetAccountAuthorizationDetailsResponse, account string) string {
	c := *d
	c.UserDetailList = append([]iamapi.UserDetail(nil), d.UserDetailList...)
	for i := range c.UserDetailList {
		c.UserDetailList[i].UserId = ""
	}
	c.GroupDetailList = append([]iamapi.GroupDetail(nil), d.GroupDetailList...)
	for i := range c.GroupDetailList {
		c.GroupDetailList[i].GroupId = ""
	}
	c.RoleDetailList = append([]iamapi.RoleDetail(nil), d.RoleDetailList...)
	for i := range c.RoleDetailList {
		r := &c.RoleDetailList[i]
		r.RoleId = ""
		r.InstanceProfileList = append([]iamapi.InstanceProfile(nil), r.InstanceProfileList...)
		for j := range r.InstanceProfileList {
			ip := &r.InstanceProfileList[j]
			ip.InstanceProfileId = ""
			ip.Roles = append([]iamapi.Role(nil), ip.Roles...)
			for k := range ip.Roles {
				ip.Roles[k].RoleId = ""
			}
		}
	}
	c.Policies = append([]iamapi.ManagedPolicyDetail(nil), d.Policies...)
	for i := range c.Policies {
		c.Policies[i].PolicyId = ""
	}
	b, _ := json.MarshalIndent(c, "", " ")
	return strings.ReplaceAll(string(b), account, "ACCOUNT")
}

// TestImportInstanceProfiles: a role's InstanceProfileList, as the AWS CLI
// prints it, becomes profiles holding the role with their path, date and
// tags; importing again changes nothing, and a profile of that name that
// holds another role fails the import, which then writes nothing.
func TestImportInstanceProfiles(t *testing.T) {
	const account = "123456789012"
	file := func(role string) *importer.File {
		t.Helper()
		raw := `{"RoleDetailList": [{"Path": "/", "RoleName": "` + role + `", "CreateDate": "2024-01-02T03:04:05Z",
		  "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
		  "InstanceProfileList": [{"Path": "/hosts/", "InstanceProfileName": "web", "InstanceProfileId": "AIPAEXAMPLE",
		    "Arn": "arn:aws:iam::999999999999:instance-profile/hosts/web", "CreateDate": "2024-01-03T00:00:00Z",
		    "Roles": [{"Path": "/", "RoleName": "` + role + `", "RoleId": "AROAEXAMPLE", "Arn": "arn:aws:iam::999999999999:role/` + role + `",
		      "CreateDate": "2024-01-02T03:04:05Z", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}}],
		    "Tags": [{"Key": "tier", "Value": "front"}]}]}]}`
		f, err := importer.Read(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	ctx := context.Background()
	st := openStore(t)
	for i := 0; i < 2; i++ {
		sum, err := importer.Import(ctx, st, file("app"), importer.Options{Account: account, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if sum.InstanceProfiles != 1 {
			t.Errorf("import %d: Summary.InstanceProfiles = %d, want 1", i+1, sum.InstanceProfiles)
		}
	}
	got, err := st.InstanceProfiles().Get(ctx, account, "web")
	if err != nil {
		t.Fatal(err)
	}
	want := iam.InstanceProfile{Account: account, Name: "web", Path: "/hosts/", ID: got.ID, Roles: []string{"app"},
		Tags: []iam.Tag{{Key: "tier", Value: "front"}}, Created: time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("imported profile (-want +got):\n%s", d)
	}
	if !strings.HasPrefix(got.ID, "AIPA") || got.ID == "AIPAEXAMPLE" {
		t.Errorf("profile id %s, want a new AIPA id", got.ID)
	}
	_, err = importer.Import(ctx, st, file("other"), importer.Options{Account: account, Now: now})
	var ie *importer.Error
	if !errors.As(err, &ie) || ie.Entity != "instance profile web" {
		t.Fatalf("importing a second role into the profile: %v, want an error naming the profile", err)
	}
	if _, err := st.Roles().Get(ctx, account, "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the failed import left role other behind: %v", err)
	}
}
