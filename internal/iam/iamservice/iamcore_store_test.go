package iamservice_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
)

// TestIAMCoreOnEachStore runs what the new account-level state needs of
// the store (the deletion task and the STS preferences are store
// objects, a provider's tags its row) on SQLite and, when
// BREVET_TEST_POSTGRES_DSN is set, PostgreSQL.
func TestIAMCoreOnEachStore(t *testing.T) {
	teststores.Each(t, func() time.Time { return testNow }, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		if err := st.Accounts().Create(ctx, iam.Account{ID: testAccount, Created: testNow}); err != nil {
			t.Fatal(err)
		}
		mk, err := masterkey.Generate(rand.Reader, testNow)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := iamservice.New(iamservice.Config{Store: st, MasterKey: mk})
		if err != nil {
			t.Fatal(err)
		}
		p := &identity.Principal{Type: identity.IAMUser, Account: testAccount, UserName: adminName}

		role := must(svc.CreateServiceLinkedRole(ctx, p, &iamapi.CreateServiceLinkedRoleRequest{AWSServiceName: "rds.amazonaws.com"}, testNow))(t).Role
		del := must(svc.DeleteServiceLinkedRole(ctx, p, &iamapi.DeleteServiceLinkedRoleRequest{RoleName: role.RoleName}, testNow))(t)
		if !strings.HasPrefix(del.DeletionTaskId, "task/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS/") {
			t.Errorf("DeletionTaskId = %s", del.DeletionTaskId)
		}
		st1 := must(svc.GetServiceLinkedRoleDeletionStatus(ctx, p, &iamapi.GetServiceLinkedRoleDeletionStatusRequest{DeletionTaskId: del.DeletionTaskId}, testNow))(t)
		if st1.Status != iamapi.DeletionTaskStatusTypeSucceeded {
			t.Errorf("status = %s", st1.Status)
		}
		other := &identity.Principal{Type: identity.IAMUser, Account: "210987654321", UserName: adminName}
		if _, err := svc.GetServiceLinkedRoleDeletionStatus(ctx, other, &iamapi.GetServiceLinkedRoleDeletionStatusRequest{DeletionTaskId: del.DeletionTaskId}, testNow); err == nil {
			t.Error("another account reads the deletion task")
		}

		arn := must(svc.CreateOpenIDConnectProvider(ctx, p, &iamapi.CreateOpenIDConnectProviderRequest{Url: "https://idp.example.com"}, testNow))(t).OpenIDConnectProviderArn
		must(svc.TagOpenIDConnectProvider(ctx, p, &iamapi.TagOpenIDConnectProviderRequest{OpenIDConnectProviderArn: arn,
			Tags: []iamapi.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}}, testNow))(t)
		must(svc.UntagOpenIDConnectProvider(ctx, p, &iamapi.UntagOpenIDConnectProviderRequest{OpenIDConnectProviderArn: arn, TagKeys: []string{"a"}}, testNow))(t)
		tags := must(svc.ListOpenIDConnectProviderTags(ctx, p, &iamapi.ListOpenIDConnectProviderTagsRequest{OpenIDConnectProviderArn: arn}, testNow))(t).Tags
		if len(tags) != 1 || tags[0].Key != "b" || tags[0].Value != "2" {
			t.Errorf("provider tags = %+v, want b=2", tags)
		}

		for _, v := range []string{"v2Token", "v1Token", "v2Token"} {
			must(svc.SetSecurityTokenServicePreferences(ctx, p, &iamapi.SetSecurityTokenServicePreferencesRequest{GlobalEndpointTokenVersion: v}, testNow))(t)
		}
		sum := must(svc.GetAccountSummary(ctx, p, nil, testNow))(t)
		if got := sum.SummaryMap["GlobalEndpointTokenVersion"]; got != 2 {
			t.Errorf("GlobalEndpointTokenVersion = %d, want 2", got)
		}

		// Deletion tasks are pruned to MaxDeletionTasks in the deleting
		// transaction (a held role: every task FAILED).
		held := must(svc.CreateServiceLinkedRole(ctx, p, &iamapi.CreateServiceLinkedRoleRequest{AWSServiceName: "ecs.amazonaws.com"}, testNow))(t).Role
		must(svc.CreateInstanceProfile(ctx, p, &iamapi.CreateInstanceProfileRequest{InstanceProfileName: "holder"}, testNow))(t)
		must(svc.AddRoleToInstanceProfile(ctx, p, &iamapi.AddRoleToInstanceProfileRequest{InstanceProfileName: "holder", RoleName: held.RoleName}, testNow))(t)
		for i := 0; i < iamservice.MaxDeletionTasks+2; i++ {
			must(svc.DeleteServiceLinkedRole(ctx, p, &iamapi.DeleteServiceLinkedRoleRequest{RoleName: held.RoleName}, testNow.Add(time.Duration(i)*time.Second)))(t)
		}
		if n := len(must(st.Objects().List(ctx, testAccount, iamservice.KindDeletionTask, "", 0))(t)); n != iamservice.MaxDeletionTasks {
			t.Errorf("%d deletion tasks kept, want %d", n, iamservice.MaxDeletionTasks)
		}
	})
}
