package iamservice_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"
)

// TestSimulatePositions: the matched statements say where they are
// written as IAM counts (policy.SimulatorSpans): the first from just past
// the Statement array's bracket, a later one from just past the previous
// statement's closing brace, each to just past its own closing brace.
func TestSimulatePositions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	doc := "{\n" +
		"  \"Version\": \"2012-10-17\",\n" +
		"  \"Statement\": [\n" +
		"    {\"Effect\": \"Allow\", \"Action\": \"s3:ListBucket\", \"Resource\": \"*\"},\n" +
		"    {\n" +
		"      \"Effect\": \"Deny\",\n" +
		"      \"Action\": \"s3:GetObject\",\n" +
		"      \"Resource\": \"*\"\n" +
		"    }\n" +
		"  ]\n" +
		"}"
	out := must(e.client.SimulateCustomPolicy(ctx, &awsiam.SimulateCustomPolicyInput{
		PolicyInputList: []string{doc}, ActionNames: []string{"s3:ListBucket", "s3:GetObject"}}))(t)
	type pos struct{ StartLine, StartCol, EndLine, EndCol int32 }
	var got []pos
	for _, r := range out.EvaluationResults {
		for _, m := range r.MatchedStatements {
			if m.StartPosition == nil || m.EndPosition == nil {
				t.Fatalf("%s: no position", aws.ToString(r.EvalActionName))
			}
			got = append(got, pos{m.StartPosition.Line, m.StartPosition.Column, m.EndPosition.Line, m.EndPosition.Column})
		}
	}
	want := []pos{{3, 17, 4, 68}, {4, 68, 9, 6}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}

// TestSimulateSameNamePositions: an inline policy and an attached managed
// policy may share a name; each matched statement is still reported
// under its own policy's id (user_USER_POLICY for the inline one, the
// name for the managed one), at its own position in its own text.
func TestSimulateSameNamePositions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("hana")}))(t)
	inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`
	must(c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("hana"), PolicyName: aws.String("shared"), PolicyDocument: aws.String(inline)}))(t)
	managed := "{\"Version\":\"2012-10-17\",\"Statement\":[\n{\"Effect\":\"Deny\",\"Action\":\"ec2:*\",\"Resource\":\"*\"},\n" +
		"  {\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"
	pol := must(c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("shared"), PolicyDocument: aws.String(managed)}))(t)
	must(c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("hana"), PolicyArn: pol.Policy.Arn}))(t)
	out := must(c.SimulatePrincipalPolicy(ctx, &awsiam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/hana"),
		ActionNames: []string{"s3:ListBucket", "s3:GetObject"}}))(t)
	type match struct {
		ID, Source                           string
		StartLine, StartCol, EndLine, EndCol int32
	}
	var got []match
	for _, r := range out.EvaluationResults {
		for _, m := range r.MatchedStatements {
			if m.StartPosition == nil || m.EndPosition == nil {
				t.Fatalf("%s: no position", aws.ToString(r.EvalActionName))
			}
			got = append(got, match{aws.ToString(m.SourcePolicyId), string(m.SourcePolicyType), m.StartPosition.Line, m.StartPosition.Column, m.EndPosition.Line, m.EndPosition.Column})
		}
	}
	want := []match{{"user_hana_shared", "IAM Policy", 1, 38, 1, 96}, {"shared", "IAM Policy", 2, 50, 3, 60}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("matched statements (-want +got):\n%s", diff)
	}
}

// TestSimulateEvaluatesOnlyThePage: a simulation of many actions on many
// resources evaluates the pairs of the page asked for, not every pair
// (a million of them took seconds and a gigabyte before the page was
// cut), and the Marker continues where the page stopped.
func TestSimulateEvaluatesOnlyThePage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var actions, arns []string
	for i := range 1000 {
		actions = append(actions, fmt.Sprintf("s3:Action%d", i))
		arns = append(arns, fmt.Sprintf("arn:aws:s3:::bucket/%d", i))
	}
	in := &awsiam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
		ActionNames: actions, ResourceArns: arns, MaxItems: aws.Int32(3)}
	start := time.Now()
	out := must(e.client.SimulateCustomPolicy(ctx, in))(t)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a page of 3 results took %v", d)
	}
	out2 := must(e.client.SimulateCustomPolicy(ctx, &awsiam.SimulateCustomPolicyInput{PolicyInputList: in.PolicyInputList,
		ActionNames: actions, ResourceArns: arns, MaxItems: aws.Int32(2), Marker: out.Marker}))(t)
	type pair struct{ Action, Resource string }
	var got []pair
	for _, r := range append(out.EvaluationResults, out2.EvaluationResults...) {
		got = append(got, pair{aws.ToString(r.EvalActionName), aws.ToString(r.EvalResourceName)})
	}
	want := []pair{{"s3:Action0", "arn:aws:s3:::bucket/0"}, {"s3:Action0", "arn:aws:s3:::bucket/1"}, {"s3:Action0", "arn:aws:s3:::bucket/2"},
		{"s3:Action0", "arn:aws:s3:::bucket/3"}, {"s3:Action0", "arn:aws:s3:::bucket/4"}}
	if diff := cmp.Diff(want, got); diff != "" || !out.IsTruncated || !out2.IsTruncated {
		t.Errorf("pages (-want +got):\n%s (truncated %v %v)", diff, out.IsTruncated, out2.IsTruncated)
	}
}

// TestSimulateMissingKeysCost: finding the missing context keys costs
// one evaluation per result, not a compilation of every statement with
// conditions per result (1,100 of them on 1,000 results took 10 s).
func TestSimulateMissingKeysCost(t *testing.T) {
	e := newEnv(t)
	var sts []string
	for i := range 1100 {
		sts = append(sts, fmt.Sprintf(`{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"v%d"}}}`, i))
	}
	sts = append(sts, `{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`)
	var actions []string
	for i := range 1000 {
		actions = append(actions, fmt.Sprintf("s3:Action%d", i))
	}
	start := time.Now()
	out := must(e.client.SimulateCustomPolicy(context.Background(), &awsiam.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[` + strings.Join(sts, ",") + `]}`},
		ActionNames:     actions, MaxItems: aws.Int32(1000)}))(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("1,000 results took %v", d)
	}
	if len(out.EvaluationResults) != 1000 {
		t.Fatalf("%d results, want 1000", len(out.EvaluationResults))
	}
	if got := out.EvaluationResults[999].MissingContextValues; !cmp.Equal(got, []string{"aws:SecureTransport"}) {
		t.Errorf("MissingContextValues = %q, want aws:SecureTransport", got)
	}
}
