package iamservice_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"
)

// TestSimulatePositions: the matched statements say where they are
// written, from the opening brace to the closing brace, lines and columns
// from 1.
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
	want := []pos{{4, 5, 4, 67}, {5, 5, 9, 5}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}
