package iamservice_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/brevet-dev/brevet/internal/credential/totp"
)

func TestVirtualMFA(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("frank")}))(t)
	out := must(c.CreateVirtualMFADevice(ctx, &awsiam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("frank-phone")}))(t)
	serial := aws.ToString(out.VirtualMFADevice.SerialNumber)
	if serial != "arn:aws:iam::123456789012:mfa/frank-phone" {
		t.Errorf("SerialNumber = %q", serial)
	}
	if !bytes.HasPrefix(out.VirtualMFADevice.QRCodePNG, []byte("\x89PNG\r\n\x1a\n")) {
		t.Error("QRCodePNG is not a PNG")
	}
	seed, err := totp.ParseBase32(string(out.VirtualMFADevice.Base32StringSeed))
	if err != nil {
		t.Fatalf("Base32StringSeed: %v", err)
	}
	_, err = c.CreateVirtualMFADevice(ctx, &awsiam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("frank-phone")})
	if code, _ := apiError(t, err); code != "EntityAlreadyExists" {
		t.Errorf("second device with the same name: %s, want EntityAlreadyExists", code)
	}

	now := e.clock()
	_, err = c.EnableMFADevice(ctx, &awsiam.EnableMFADeviceInput{UserName: aws.String("frank"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totp.Code(seed, now)), AuthenticationCode2: aws.String(totp.Code(seed, now))})
	if code, msg := apiError(t, err); code != "InvalidAuthenticationCode" || msg != "Authentication code for device is not valid." {
		t.Errorf("two equal codes: %s %q", code, msg)
	}
	must(c.EnableMFADevice(ctx, &awsiam.EnableMFADeviceInput{UserName: aws.String("frank"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totp.Code(seed, now)), AuthenticationCode2: aws.String(totp.Code(seed, now.Add(totp.Period)))}))(t)
	_, err = c.EnableMFADevice(ctx, &awsiam.EnableMFADeviceInput{UserName: aws.String(adminName), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totp.Code(seed, now)), AuthenticationCode2: aws.String(totp.Code(seed, now.Add(totp.Period)))})
	if code, _ := apiError(t, err); code != "EntityAlreadyExists" {
		t.Errorf("enabling an assigned device: %s, want EntityAlreadyExists", code)
	}
	l := must(c.ListMFADevices(ctx, &awsiam.ListMFADevicesInput{UserName: aws.String("frank")}))(t)
	if len(l.MFADevices) != 1 || aws.ToString(l.MFADevices[0].SerialNumber) != serial || !l.MFADevices[0].EnableDate.Equal(now) {
		t.Errorf("ListMFADevices = %+v", l.MFADevices)
	}
	v := must(c.ListVirtualMFADevices(ctx, &awsiam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned}))(t)
	if len(v.VirtualMFADevices) != 1 || v.VirtualMFADevices[0].User == nil || aws.ToString(v.VirtualMFADevices[0].User.UserName) != "frank" {
		t.Errorf("ListVirtualMFADevices Assigned = %+v", v.VirtualMFADevices)
	}
	if len(v.VirtualMFADevices) == 1 && v.VirtualMFADevices[0].Base32StringSeed != nil {
		t.Error("ListVirtualMFADevices returns the seed")
	}

	// A drifted device resynchronises with two later codes; replaying
	// the same pair is refused.
	later := now.Add(10 * time.Minute)
	e.advance(10 * time.Minute)
	resync := &awsiam.ResyncMFADeviceInput{UserName: aws.String("frank"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totp.Code(seed, later.Add(-5*time.Minute))), AuthenticationCode2: aws.String(totp.Code(seed, later.Add(-5*time.Minute+totp.Period)))}
	must(c.ResyncMFADevice(ctx, resync))(t)
	_, err = c.ResyncMFADevice(ctx, resync)
	if code, _ := apiError(t, err); code != "InvalidAuthenticationCode" {
		t.Errorf("replayed resync: %s, want InvalidAuthenticationCode", code)
	}

	_, err = c.DeleteVirtualMFADevice(ctx, &awsiam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	if code, _ := apiError(t, err); code != "DeleteConflict" {
		t.Errorf("deleting an assigned device: %s, want DeleteConflict", code)
	}
	_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("frank")})
	if code, msg := apiError(t, err); code != "DeleteConflict" || msg != "Cannot delete entity, must delete MFA device first." {
		t.Errorf("deleting a user with MFA: %s %q", code, msg)
	}
	must(c.DeactivateMFADevice(ctx, &awsiam.DeactivateMFADeviceInput{UserName: aws.String("frank"), SerialNumber: aws.String(serial)}))(t)
	must(c.DeleteVirtualMFADevice(ctx, &awsiam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))(t)
	_, err = c.DeleteVirtualMFADevice(ctx, &awsiam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	if code, msg := apiError(t, err); code != "NoSuchEntity" || msg != "MFA Device with serial number "+serial+" does not exist." {
		t.Errorf("deleting twice: %s %q", code, msg)
	}
}

// simResult is an EvaluationResult in short; for a named resource, its
// missing context keys are those of its ResourceSpecificResults entry,
// where IAM lists them.
type simResult struct {
	Action, Resource, Decision string
	Matched                    []string
	Missing                    []string
}

func simResults(rs []types.EvaluationResult) []simResult {
	var out []simResult
	for _, r := range rs {
		s := simResult{Action: aws.ToString(r.EvalActionName), Resource: aws.ToString(r.EvalResourceName), Decision: string(r.EvalDecision), Missing: r.MissingContextValues}
		for _, m := range r.MatchedStatements {
			s.Matched = append(s.Matched, aws.ToString(m.SourcePolicyId)+"/"+string(m.SourcePolicyType))
		}
		for _, rs := range r.ResourceSpecificResults {
			s.Missing = append(s.Missing, rs.MissingContextValues...)
		}
		out = append(out, s)
	}
	return out
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("gina")}))(t)
	must(c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("readers")}))(t)
	must(c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("gina")}))(t)
	must(c.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")}))(t)
	must(c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("gina"), PolicyName: aws.String("put-from-office"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},` +
			`{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`)}))(t)
	arn := "arn:aws:iam::123456789012:user/gina"
	out := must(c.SimulatePrincipalPolicy(ctx, &awsiam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn),
		ActionNames: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "ec2:RunInstances"}, ResourceArns: []string{"arn:aws:s3:::bucket/key"}}))(t)
	want := []simResult{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key", Decision: "allowed", Matched: []string{"AmazonS3ReadOnlyAccess/IAM Policy"}},
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::bucket/key", Decision: "implicitDeny", Missing: []string{"aws:SourceIp"}},
		{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::bucket/key", Decision: "explicitDeny", Matched: []string{"user_gina_put-from-office/IAM Policy"}},
		{Action: "ec2:RunInstances", Resource: "arn:aws:s3:::bucket/key", Decision: "implicitDeny"},
	}
	if diff := cmp.Diff(want, simResults(out.EvaluationResults), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("SimulatePrincipalPolicy (-want +got):\n%s", diff)
	}
	// With the context value supplied, the conditional allow applies.
	out = must(c.SimulatePrincipalPolicy(ctx, &awsiam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn),
		ActionNames: []string{"s3:PutObject"}, ResourceArns: []string{"arn:aws:s3:::bucket/key"},
		ContextEntries:                     []types.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: types.ContextKeyTypeEnumIp, ContextKeyValues: []string{"10.1.2.3"}}},
		PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}}))(t)
	want = []simResult{{Action: "s3:PutObject", Resource: "arn:aws:s3:::bucket/key", Decision: "allowed",
		Matched: []string{"user_gina_put-from-office/IAM Policy", "PermissionsBoundaryPolicyInputList.1/IAM Policy"}}}
	if diff := cmp.Diff(want, simResults(out.EvaluationResults), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("SimulatePrincipalPolicy with context (-want +got):\n%s", diff)
	}
	if d := out.EvaluationResults[0].PermissionsBoundaryDecisionDetail; d == nil || !d.AllowedByPermissionsBoundary {
		t.Errorf("PermissionsBoundaryDecisionDetail = %+v, want allowed", d)
	}
}

func TestSimulateCustomPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out := must(e.client.SimulateCustomPolicy(ctx, &awsiam.SimulateCustomPolicyInput{
		PolicyInputList: []string{allowS3},
		ActionNames:     []string{"s3:GetObject", "s3:PutObject"},
		ResourceArns:    []string{"arn:aws:s3:::bucket/a", "arn:aws:s3:::other/a"},
		MaxItems:        aws.Int32(3),
	}))(t)
	want := []simResult{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/a", Decision: "allowed", Matched: []string{"PolicyInputList.1/IAM Policy"}},
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::other/a", Decision: "implicitDeny"},
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::bucket/a", Decision: "implicitDeny"},
	}
	if diff := cmp.Diff(want, simResults(out.EvaluationResults), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("SimulateCustomPolicy (-want +got):\n%s", diff)
	}
	if !out.IsTruncated || out.Marker == nil {
		t.Fatal("want a second page")
	}
	_, err := e.client.SimulateCustomPolicy(ctx, &awsiam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":[]`}, ActionNames: []string{"s3:GetObject"}})
	if code, _ := apiError(t, err); code != "MalformedPolicyDocument" {
		t.Errorf("malformed input policy: %s", code)
	}
}
