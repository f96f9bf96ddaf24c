package parity

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

const sample = `# a comment
let doc = {"Version":"2012-10-17"}

=== setup: a user
iam CreateUser
  UserName: alice
=> 200
  save User.UserId as alice-id

=== CreateAccessKey answers the secret
source: IAM API reference, CreateAccessKey
iam CreateAccessKey
  UserName: alice
=> 200
  AccessKey.Status: Active
  AccessKey.AccessKeyId: ~^AKIA
  AccessKey: [UserName AccessKeyId Status SecretAccessKey CreateDate]
  save-creds AccessKey as alice

=== GetUser as alice
source: IAM API reference, GetUser
differs: we say so
iam GetUser as alice
  Doc: {doc}
  Other: {unknown}
=> 404 Sender NoSuchEntity
  message: The user with name {alice-id} cannot be found.
  Code: <present>
  Detail: <absent>
  Empty: <empty>
`

func TestParse(t *testing.T) {
	f, err := Parse("sample.txt", strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != 3 || f.Lets["doc"] != `{"Version":"2012-10-17"}` {
		t.Fatalf("cases %d, lets %v", len(f.Cases), f.Lets)
	}
	c := f.Cases[2]
	if c.Setup || c.Differs != "we say so" || c.As != "alice" || c.Status != 404 || c.ErrType != "Sender" || c.ErrCode != "NoSuchEntity" {
		t.Errorf("case 3 = %+v", c)
	}
	if !f.Cases[0].Setup || f.Cases[0].Title != "a user" {
		t.Errorf("case 1 = %+v", f.Cases[0])
	}
	kinds := []ExpectKind{Equal, Present, Absent, Empty}
	for i, e := range c.Expects {
		if e.Kind != kinds[i] {
			t.Errorf("expect %d kind %d, want %d", i, e.Kind, kinds[i])
		}
	}
	if c.Expects[0].Path != "Message" {
		t.Errorf("message: maps to %q", c.Expects[0].Path)
	}
	if k := f.Cases[1].Expects[2]; k.Kind != Children || len(k.Names) != 5 {
		t.Errorf("children = %+v", k)
	}
}

func TestParseRejects(t *testing.T) {
	for name, src := range map[string]string{
		"no source":       "=== x\niam GetUser\n=> 200\n",
		"no request":      "=== x\nsource: s\n=> 200\n",
		"no want":         "=== x\nsource: s\niam GetUser\n",
		"bad param":       "=== x\nsource: s\niam GetUser\n  NoColon\n=> 200\n",
		"bad regexp":      "=== x\nsource: s\niam GetUser\n=> 200\n  A: ~(\n",
		"setup differs":   "=== setup: x\ndiffers: y\niam GetUser\n=> 200\n",
		"stray line":      "iam GetUser\n",
		"let after cases": "=== setup: x\niam GetUser\n=> 200\nlet a = b\n",
		"unknown service": "=== x\nsource: s\ns3 GetUser\n=> 200\n",
	} {
		if _, err := Parse(name, strings.NewReader(src)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// canned answers each action with a fixed body, and records the forms.
type canned struct {
	answers map[string]struct {
		status int
		body   string
	}
	forms []url.Values
	creds []*Creds
}

func (c *canned) send(_ context.Context, _ string, cr *Creds, form url.Values) (int, []byte, error) {
	c.forms = append(c.forms, form)
	c.creds = append(c.creds, cr)
	a := c.answers[form.Get("Action")]
	return a.status, []byte(a.body), nil
}

func TestRun(t *testing.T) {
	f, err := Parse("sample.txt", strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	c := &canned{answers: map[string]struct {
		status int
		body   string
	}{
		"CreateUser": {200, `<CreateUserResponse><CreateUserResult><User><UserId>AIDA1</UserId></User></CreateUserResult></CreateUserResponse>`},
		"CreateAccessKey": {200, `<CreateAccessKeyResponse><CreateAccessKeyResult><AccessKey><UserName>alice</UserName><AccessKeyId>AKIAX</AccessKeyId>
			<Status>Active</Status><SecretAccessKey>s3cr3t</SecretAccessKey><CreateDate>d</CreateDate></AccessKey></CreateAccessKeyResult></CreateAccessKeyResponse>`},
		"GetUser": {404, `<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name AIDA1 cannot be found.</Message><Empty/></Error></ErrorResponse>`},
	}}
	outs := Run(context.Background(), f, c.send, map[string]string{"account": "111122223333"})
	for _, o := range outs {
		if !o.Matched() {
			t.Errorf("%s", o)
		}
	}
	if got := c.forms[2].Get("Doc"); got != `{"Version":"2012-10-17"}` {
		t.Errorf("Doc = %q", got)
	}
	if got := c.forms[2].Get("Other"); got != "{unknown}" {
		t.Errorf("Other = %q", got)
	}
	if c.forms[0].Get("Version") != "2010-05-08" || c.creds[0] != nil {
		t.Errorf("first request: %v %v", c.forms[0], c.creds[0])
	}
	if cr := c.creds[2]; cr == nil || cr.AccessKeyID != "AKIAX" || cr.SecretAccessKey != "s3cr3t" {
		t.Errorf("GetUser signed with %+v", cr)
	}
	s := Tally(outs)
	if s.Counted != 2 || s.Matched != 2 || len(s.StaleDiffers) != 1 {
		t.Errorf("tally = %+v", s)
	}
}

func TestRunFindsDifferences(t *testing.T) {
	src := `=== one
source: s
iam GetRole
  RoleName: r
=> 200
  Role.RoleName: r
  Role.MaxSessionDuration: <absent>
  Role.Tags: <present>
  Role.Tags.member.2.Key: b
  Role.Arn: ~^arn:aws:iam::{account}:
  Role: [RoleName Arn Tags]
  Role.Empty: <empty>
`
	f, err := Parse("one.txt", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		status int
		body   string
		want   string
	}{
		"status":    {500, `<GetRoleResponse/>`, "status 500, want 200"},
		"error":     {400, `<ErrorResponse><Error><Type>Sender</Type><Code>X</Code><Message>m</Message></Error></ErrorResponse>`, `error Sender X "m", want success`},
		"not xml":   {200, `{}`, "not XML"},
		"value":     {200, `<R><GetRoleResult><Role><RoleName>q</RoleName></Role></GetRoleResult></R>`, `Role.RoleName = "q", want "r"`},
		"present":   {200, `<R><GetRoleResult><Role><MaxSessionDuration>1</MaxSessionDuration></Role></GetRoleResult></R>`, "Role.MaxSessionDuration is present"},
		"absent":    {200, `<R><GetRoleResult><Role/></GetRoleResult></R>`, "Role.Tags is absent"},
		"nth":       {200, `<R><GetRoleResult><Role><Tags><member><Key>b</Key></member></Tags></Role></GetRoleResult></R>`, "Role.Tags.member.2.Key is absent"},
		"regexp":    {200, `<R><GetRoleResult><Role><Arn>arn:aws:iam::9:role/r</Arn></Role></GetRoleResult></R>`, "want ~^arn:aws:iam::111122223333:"},
		"children":  {200, `<R><GetRoleResult><Role><RoleName>r</RoleName><Path>/</Path></Role></GetRoleResult></R>`, "Role has [Path RoleName], want [Arn RoleName Tags]"},
		"empty":     {200, `<R><GetRoleResult><Role><Empty>x</Empty></Role></GetRoleResult></R>`, "Role.Empty is not empty"},
		"no result": {200, `<GetRoleResponse><ResponseMetadata/></GetRoleResponse>`, "no <GetRoleResult> in the answer"},
	} {
		c := &canned{answers: map[string]struct {
			status int
			body   string
		}{"GetRole": {tc.status, tc.body}}}
		o := Run(context.Background(), f, c.send, map[string]string{"account": "111122223333"})[0]
		if got := strings.Join(o.Problems, "; "); !strings.Contains(got, tc.want) {
			t.Errorf("%s: problems %q, want one containing %q", name, got, tc.want)
		}
	}
}

func TestRunFindsErrorDifferences(t *testing.T) {
	src := `=== setup: nothing saved yet
iam GetUser
=> 200
  User.Missing: <absent>

=== one
source: s
iam GetRole
  RoleName: r
=> 404 Sender NoSuchEntity
  message: The role with name r cannot be found.

=== save
source: s
iam ListRoles
=> 200
  save Marker as m
  save-creds Credentials as c

=== signed
source: s
iam GetUser as nobody
=> 200
`
	f, err := Parse("err.txt", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	notFound := `<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name r cannot be found.</Message></Error></ErrorResponse>`
	for name, tc := range map[string]struct {
		action, body string
		status       int
		want         string
	}{
		"code":       {"GetRole", strings.Replace(notFound, "NoSuchEntity", "ValidationError", 1), 404, "error Sender ValidationError, want Sender NoSuchEntity"},
		"type":       {"GetRole", strings.Replace(notFound, "Sender", "Receiver", 1), 404, "error Receiver NoSuchEntity, want Sender NoSuchEntity"},
		"message":    {"GetRole", strings.Replace(notFound, "role with", "user with", 1), 404, `Message = "The user with name r cannot be found."`},
		"success":    {"GetRole", `<GetRoleResponse><GetRoleResult><Role/></GetRoleResult></GetRoleResponse>`, 200, "success, want error Sender NoSuchEntity"},
		"save":       {"ListRoles", `<ListRolesResponse><ListRolesResult/></ListRolesResponse>`, 200, "Marker is absent, cannot save it"},
		"save-creds": {"ListRoles", `<ListRolesResponse><ListRolesResult><Marker>m</Marker></ListRolesResult></ListRolesResponse>`, 200, "Credentials is absent, cannot save credentials"},
		"creds":      {"GetUser", `<GetUserResponse><GetUserResult/></GetUserResponse>`, 200, "no credentials saved as nobody"},
	} {
		c := &canned{answers: map[string]struct {
			status int
			body   string
		}{tc.action: {tc.status, tc.body}, "GetUser": {200, `<GetUserResponse><GetUserResult><User/></GetUserResult></GetUserResponse>`}}}
		var got []string
		for _, o := range Run(context.Background(), f, c.send, map[string]string{"account": "111122223333"}) {
			got = append(got, o.Problems...)
		}
		if all := strings.Join(got, "; "); !strings.Contains(all, tc.want) {
			t.Errorf("%s: problems %q, want one containing %q", name, all, tc.want)
		}
	}
}
