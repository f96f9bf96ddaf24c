package e2e

import (
	"strings"
	"testing"
)

// TestCLIProviderTagsAndServiceLinkedRoles drives the IAM core actions a
// deployment tool calls with the AWS CLI: tags on an OIDC provider after
// creation, and a service-linked role's life, from creation to its
// deletion task.
func TestCLIProviderTagsAndServiceLinkedRoles(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	b := startBrevet(t)
	c := newClient(t, b)

	var p struct{ OpenIDConnectProviderArn string }
	c.json(&p, "iam", "create-open-id-connect-provider", "--url", "https://token.example.com", "--client-id-list", "sts.amazonaws.com")
	c.aws("iam", "tag-open-id-connect-provider", "--open-id-connect-provider-arn", p.OpenIDConnectProviderArn,
		"--tags", "Key=env,Value=prod", "Key=team,Value=ci")
	c.aws("iam", "untag-open-id-connect-provider", "--open-id-connect-provider-arn", p.OpenIDConnectProviderArn, "--tag-keys", "team")
	var tags struct{ Tags []struct{ Key, Value string } }
	c.json(&tags, "iam", "list-open-id-connect-provider-tags", "--open-id-connect-provider-arn", p.OpenIDConnectProviderArn)
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "env" || tags.Tags[0].Value != "prod" {
		t.Errorf("provider tags = %+v, want env=prod", tags.Tags)
	}

	var r struct {
		Role struct{ RoleName, Path, Arn string }
	}
	c.json(&r, "iam", "create-service-linked-role", "--aws-service-name", "autoscaling.amazonaws.com", "--custom-suffix", "blue")
	if r.Role.RoleName != "AWSServiceRoleForAutoScaling_blue" || r.Role.Path != "/aws-service-role/autoscaling.amazonaws.com/" {
		t.Errorf("create-service-linked-role: %+v", r.Role)
	}
	if _, err := c.exec("aws", "iam", "delete-role", "--role-name", r.Role.RoleName); err == nil ||
		!strings.Contains(err.Error(), "(UnmodifiableEntity) when calling the DeleteRole operation: Cannot perform the operation on the protected role") {
		t.Errorf("delete-role of a service-linked role: %v", err)
	}
	var d struct{ DeletionTaskId string }
	c.json(&d, "iam", "delete-service-linked-role", "--role-name", r.Role.RoleName)
	if !strings.HasPrefix(d.DeletionTaskId, "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_blue/") {
		t.Errorf("DeletionTaskId = %s", d.DeletionTaskId)
	}
	var s struct{ Status string }
	c.json(&s, "iam", "get-service-linked-role-deletion-status", "--deletion-task-id", d.DeletionTaskId)
	if s.Status != "SUCCEEDED" {
		t.Errorf("deletion status = %s", s.Status)
	}
}
