package importer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/importer"
	"github.com/brevet-dev/brevet/internal/policy"
)

// TestImportBindsTrust: an import binds each role's trust policy to the
// unique ids of the users and roles it names, as saving it through the
// API does, once the whole file is in (a role may trust one listed after
// it); principals of accounts Brevet does not hold stay unbound; one of
// the target account that names no one fails the import.
func TestImportBindsTrust(t *testing.T) {
	const acct, foreign = "123456789012", "999999999999"
	ctx := context.Background()
	trust := func(principals ...string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` +
			strings.Join(principals, `","`) + `"]},"Action":"sts:AssumeRole"}]}`
	}
	file := func(front string) *importer.File {
		return &importer.File{
			UserDetailList: []importer.UserDetail{{Path: "/", UserName: "ann"}},
			RoleDetailList: []importer.RoleDetail{
				{Path: "/", RoleName: "front", AssumeRolePolicyDocument: importer.Document(front)},
				{Path: "/", RoleName: "back", AssumeRolePolicyDocument: importer.Document(trust(foreign))},
			},
		}
	}
	st := openStore(t)
	annARN, backARN := iam.UserARN(acct, "/", "ann"), iam.RoleARN(acct, "/", "back")
	foreignUser := iam.UserARN(foreign, "/", "zed")
	if _, err := importer.Import(ctx, st, file(trust(annARN, backARN, foreignUser, "AIDAEXAMPLEDELETED000")), importer.Options{Account: acct, Now: now}); err != nil {
		t.Fatal(err)
	}
	ann, err := st.Users().Get(ctx, acct, "ann")
	if err != nil {
		t.Fatal(err)
	}
	back, err := st.Roles().Get(ctx, acct, "back")
	if err != nil {
		t.Fatal(err)
	}
	front, err := st.Roles().Get(ctx, acct, "front")
	if err != nil {
		t.Fatal(err)
	}
	want := []iam.PrincipalBinding{{ARN: annARN, ID: ann.ID}, {ARN: backARN, ID: back.ID}}
	if d := cmp.Diff(want, front.TrustBindings); d != "" {
		t.Errorf("bindings (-want +got):\n%s", d)
	}
	if back.TrustBindings == nil || len(back.TrustBindings) != 0 {
		t.Errorf("a role trusting an account: bindings %#v, want bound to none", back.TrustBindings)
	}

	missing := iam.UserARN(acct, "/", "nobody")
	_, err = importer.Import(ctx, openStore(t), file(trust(missing)), importer.Options{Account: acct, Now: now})
	var me *policy.MalformedError
	if !errors.As(err, &me) || !strings.Contains(me.Message, missing) {
		t.Errorf("importing a trust of a missing user: %v, want Invalid principal", err)
	}
}
