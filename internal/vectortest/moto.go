package vectortest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// MotoAWSManagedPolicies reads the public moto corpus of AWS managed
// policies (name → default version) and shapes it as `aws iam
// get-account-authorization-details --filter AWSManagedPolicy` prints it,
// the policies in name order, each with its default version alone. It
// returns that file and the policies' default version ids by name. The
// test is skipped (failed under CI) when the corpus is missing.
func MotoAWSManagedPolicies(tb testing.TB) (file []byte, defaults map[string]string) {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(Dir(tb, "aws-managed-policies-moto"), "aws_managed_policies.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var moto map[string]struct {
		CreateDate, UpdateDate, DefaultVersionId, Path string
		Document                                       json.RawMessage
	}
	if err := json.Unmarshal(data, &moto); err != nil {
		tb.Fatal(err)
	}
	names := make([]string, 0, len(moto))
	for n := range moto {
		names = append(names, n)
	}
	sort.Strings(names)
	defaults = make(map[string]string, len(moto))
	policies := make([]map[string]any, 0, len(names))
	for _, n := range names {
		p := moto[n]
		defaults[n] = p.DefaultVersionId
		policies = append(policies, map[string]any{
			"PolicyName": n, "Arn": "arn:aws:iam::aws:policy" + p.Path + n, "Path": p.Path,
			"DefaultVersionId": p.DefaultVersionId, "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
			"CreateDate": p.CreateDate, "UpdateDate": p.UpdateDate,
			"PolicyVersionList": []map[string]any{{"Document": p.Document, "VersionId": p.DefaultVersionId, "IsDefaultVersion": true, "CreateDate": p.UpdateDate}},
		})
	}
	file, err = json.MarshalIndent(map[string]any{"UserDetailList": []any{}, "GroupDetailList": []any{}, "RoleDetailList": []any{},
		"Policies": policies, "IsTruncated": false}, "", "    ")
	if err != nil {
		tb.Fatal(err)
	}
	return file, defaults
}
