package iamservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// ServiceLinkedRoleActions are the service-linked role actions; they are
// part of Actions.
var ServiceLinkedRoleActions = []string{
	"CreateServiceLinkedRole",
	"DeleteServiceLinkedRole",
	"GetServiceLinkedRoleDeletionStatus",
}

// ServiceLinkedRolePath is the path prefix of every service-linked role:
// a role's path is /aws-service-role/PRINCIPAL/. A role under it is
// service-linked, however it was made, and only the service-linked role
// actions change or delete it.
const ServiceLinkedRolePath = "/aws-service-role/"

// linkedService is what a service principal's service-linked role is
// called, as each service's "Using service-linked roles" page of its
// guide names it, and whether the service takes a CustomSuffix.
type linkedService struct {
	role   string
	suffix bool
}

// linkedServices are the service principals CreateServiceLinkedRole
// accepts: those deployment tools (Terraform's aws_iam_service_linked_role,
// CloudFormation's AWS::IAM::ServiceLinkedRole, CDK) most often ask for.
// Any other principal is refused with InvalidInput.
var linkedServices = map[string]linkedService{
	"acm.amazonaws.com":                               {role: "AWSServiceRoleForCertificateManager"},
	"autoscaling.amazonaws.com":                       {role: "AWSServiceRoleForAutoScaling", suffix: true},
	"backup.amazonaws.com":                            {role: "AWSServiceRoleForBackup"},
	"batch.amazonaws.com":                             {role: "AWSServiceRoleForBatch"},
	"cloudtrail.amazonaws.com":                        {role: "AWSServiceRoleForCloudTrail"},
	"config.amazonaws.com":                            {role: "AWSServiceRoleForConfig"},
	"connect.amazonaws.com":                           {role: "AWSServiceRoleForAmazonConnect", suffix: true},
	"dax.amazonaws.com":                               {role: "AWSServiceRoleForDAX"},
	"dynamodb.application-autoscaling.amazonaws.com":  {role: "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"},
	"ec2.application-autoscaling.amazonaws.com":       {role: "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest"},
	"ecs.amazonaws.com":                               {role: "AWSServiceRoleForECS"},
	"ecs.application-autoscaling.amazonaws.com":       {role: "AWSServiceRoleForApplicationAutoScaling_ECSService"},
	"eks.amazonaws.com":                               {role: "AWSServiceRoleForAmazonEKS"},
	"eks-fargate.amazonaws.com":                       {role: "AWSServiceRoleForAmazonEKSForFargate"},
	"eks-nodegroup.amazonaws.com":                     {role: "AWSServiceRoleForAmazonEKSNodegroup"},
	"elasticache.amazonaws.com":                       {role: "AWSServiceRoleForElastiCache"},
	"elasticbeanstalk.amazonaws.com":                  {role: "AWSServiceRoleForElasticBeanstalk"},
	"elasticfilesystem.amazonaws.com":                 {role: "AWSServiceRoleForAmazonElasticFileSystem"},
	"elasticloadbalancing.amazonaws.com":              {role: "AWSServiceRoleForElasticLoadBalancing"},
	"es.amazonaws.com":                                {role: "AWSServiceRoleForAmazonElasticsearchService"},
	"globalaccelerator.amazonaws.com":                 {role: "AWSServiceRoleForGlobalAccelerator"},
	"guardduty.amazonaws.com":                         {role: "AWSServiceRoleForAmazonGuardDuty"},
	"kafka.amazonaws.com":                             {role: "AWSServiceRoleForKafka"},
	"lakeformation.amazonaws.com":                     {role: "AWSServiceRoleForLakeFormationDataAccess"},
	"lexv2.amazonaws.com":                             {role: "AWSServiceRoleForLexV2Bots", suffix: true},
	"memorydb.amazonaws.com":                          {role: "AWSServiceRoleForMemoryDB"},
	"mq.amazonaws.com":                                {role: "AWSServiceRoleForAmazonMQ"},
	"opensearchservice.amazonaws.com":                 {role: "AWSServiceRoleForAmazonOpenSearchService"},
	"ops.apigateway.amazonaws.com":                    {role: "AWSServiceRoleForAPIGateway"},
	"organizations.amazonaws.com":                     {role: "AWSServiceRoleForOrganizations"},
	"ram.amazonaws.com":                               {role: "AWSServiceRoleForResourceAccessManager"},
	"rds.amazonaws.com":                               {role: "AWSServiceRoleForRDS"},
	"redshift.amazonaws.com":                          {role: "AWSServiceRoleForRedshift"},
	"rolesanywhere.amazonaws.com":                     {role: "AWSServiceRoleForRolesAnywhere"},
	"securityhub.amazonaws.com":                       {role: "AWSServiceRoleForSecurityHub"},
	"spot.amazonaws.com":                              {role: "AWSServiceRoleForEC2Spot"},
	"spotfleet.amazonaws.com":                         {role: "AWSServiceRoleForEC2SpotFleet"},
	"ssm.amazonaws.com":                               {role: "AWSServiceRoleForAmazonSSM"},
	"sso.amazonaws.com":                               {role: "AWSServiceRoleForSSO"},
	"support.amazonaws.com":                           {role: "AWSServiceRoleForSupport"},
	"transitgateway.amazonaws.com":                    {role: "AWSServiceRoleForVPCTransitGateway"},
	"trustedadvisor.amazonaws.com":                    {role: "AWSServiceRoleForTrustedAdvisor"},
	"replication.ecr.amazonaws.com":                   {role: "AWSServiceRoleForECRReplication"},
	"pullthroughcache.ecr.amazonaws.com":              {role: "AWSServiceRoleForECRPullThroughCache"},
	"cassandra.application-autoscaling.amazonaws.com": {role: "AWSServiceRoleForApplicationAutoScaling_CassandraTable"},
	"email.cognito-idp.amazonaws.com":                 {role: "AWSServiceRoleForAmazonCognitoIdpEmailService"},
	"observability.aoss.amazonaws.com":                {role: "AWSServiceRoleForAmazonOpenSearchServerless"},
	"ops.emr-serverless.amazonaws.com":                {role: "AWSServiceRoleForAmazonEMRServerless"},
	"repository.sync.codeconnections.amazonaws.com":   {role: "AWSServiceRoleForGitSync"},
	"codestar-notifications.amazonaws.com":            {role: "AWSServiceRoleForCodeStarNotifications"},
	"resource-explorer-2.amazonaws.com":               {role: "AWSServiceRoleForResourceExplorer"},
	"imagebuilder.amazonaws.com":                      {role: "AWSServiceRoleForImageBuilder"},
	"fis.amazonaws.com":                               {role: "AWSServiceRoleForFIS"},
	"grafana.amazonaws.com":                           {role: "AWSServiceRoleForAmazonGrafana"},
	"emr-containers.amazonaws.com":                    {role: "AWSServiceRoleForAmazonEMRContainers"},
	"appmesh.amazonaws.com":                           {role: "AWSServiceRoleForAppMesh"},
	"ses.amazonaws.com":                               {role: "AWSServiceRoleForAmazonSES"},
	"shield.amazonaws.com":                            {role: "AWSServiceRoleForAWSShield"},
	"wafv2.amazonaws.com":                             {role: "AWSServiceRoleForWAFV2Logging"},
	"autoscaling-plans.amazonaws.com":                 {role: "AWSServiceRoleForAutoScalingPlans_EC2AutoScaling"},
	"accountdiscovery.ssm.amazonaws.com":              {role: "AWSServiceRoleForAmazonSSM_AccountDiscovery"},
	"ec2-instance-connect.amazonaws.com":              {role: "AWSServiceRoleForEc2InstanceConnect"},
	"cks.kms.amazonaws.com":                           {role: "AWSServiceRoleForKeyManagementServiceCustomKeyStores"},
	"mrk.kms.amazonaws.com":                           {role: "AWSServiceRoleForKeyManagementServiceMultiRegionKeys"},
	"docdb-elastic.amazonaws.com":                     {role: "AWSServiceRoleForDocDB-Elastic"},
	"kafkaconnect.amazonaws.com":                      {role: "AWSServiceRoleForKafkaConnect"},
	"eks-connector.amazonaws.com":                     {role: "AWSServiceRoleForAmazonEKSConnector"},
	"vpcorigin.cloudfront.amazonaws.com":              {role: "AWSServiceRoleForCloudFrontVPCOrigin"},
	"replication.cassandra.amazonaws.com":             {role: "AWSServiceRoleForKeyspacesReplication"},
	"ssm-incidents.amazonaws.com":                     {role: "AWSServiceRoleForIncidentManager"},
	"lightsail.amazonaws.com":                         {role: "AWSServiceRoleForLightsail"},
	"s3-outposts.amazonaws.com":                       {role: "AWSServiceRoleForS3OnOutposts"},
	"opsdatasync.ssm.amazonaws.com":                   {role: "AWSServiceRoleForSystemsManagerOpsDataSync"},
	"notifications.amazonaws.com":                     {role: "AWSServiceRoleForAwsUserNotifications"},
	"dms-fleet-advisor.amazonaws.com":                 {role: "AWSServiceRoleForDMSFleetAdvisor"},
	"emrwal.amazonaws.com":                            {role: "AWSServiceRoleForEMRWAL"},
	"waf.amazonaws.com":                               {role: "AWSServiceRoleForWAFLogging"},
}

// serviceLinkedTrust is the trust policy of a service-linked role: the
// service alone may assume it.
func serviceLinkedTrust(service string) string {
	quoted, _ := json.Marshal(service)
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":[` + string(quoted) +
		`]},"Action":["sts:AssumeRole"]}]}`
}

// isServiceLinked says whether a role is service-linked: its path is
// under ServiceLinkedRolePath.
func isServiceLinked(r iam.Role) bool { return strings.HasPrefix(r.Path, ServiceLinkedRolePath) }

// protectedRoleError: a change to a service-linked role through the
// ordinary role actions (AWS: UnmodifiableEntity).
type protectedRoleError struct{ name string }

func (e protectedRoleError) Error() string {
	return "Cannot perform the operation on the protected role '" + e.name + "' - this role is only modifiable by AWS"
}

// checkModifiable refuses a change to a service-linked role through the
// ordinary role actions. Call it in the transaction that writes the role.
func checkModifiable(r iam.Role) error {
	if isServiceLinked(r) {
		return protectedRoleError{r.Name}
	}
	return nil
}

// CreateServiceLinkedRole creates the role a service asks for: named for
// the service (with _SUFFIX when the service takes a CustomSuffix), at
// /aws-service-role/SERVICE/, trusting the service alone. AWS attaches the
// service's AWS managed policy too; Brevet ships none of those, so the
// role has no permissions (docs/iam.md): it exists for the deployment
// tools that create, read and delete it.
func (s *Service) CreateServiceLinkedRole(ctx context.Context, p *identity.Principal, in *iamapi.CreateServiceLinkedRoleRequest, now time.Time) (*iamapi.CreateServiceLinkedRoleResponse, error) {
	ls, ok := linkedServices[in.AWSServiceName]
	if !ok {
		return nil, &iam.InvalidInputError{Message: "Unrecognized service principal " + in.AWSServiceName + ": Brevet does not create its service-linked role."}
	}
	name := ls.role
	if in.CustomSuffix != "" {
		if !ls.suffix {
			return nil, &iam.InvalidInputError{Message: "Custom suffix is not allowed for " + in.AWSServiceName}
		}
		name += "_" + in.CustomSuffix
	}
	role := iam.Role{Account: p.Account, Name: name, Path: ServiceLinkedRolePath + in.AWSServiceName + "/", Created: now,
		TrustPolicy: serviceLinkedTrust(in.AWSServiceName), Description: in.Description, MaxSessionDuration: iam.DefaultSessionSeconds}
	if err := iam.ValidateRole(role); err != nil {
		return nil, err
	}
	doc, err := validateTrust(role.TrustPolicy)
	if err != nil {
		return nil, err
	}
	if role.ID, err = credential.NewUniqueID(credential.PrefixRole, p.Account, s.rand); err != nil {
		return nil, err
	}
	err = s.st.Tx(ctx, func(r store.Repos) error {
		if err := bindTrust(ctx, r, &role, doc); err != nil {
			return err
		}
		return conflictAs(r.Roles().Create(ctx, role), &iam.InvalidInputError{
			Message: "Service role name " + name + " has been taken in this account, please try a different suffix."})
	})
	if err != nil {
		return nil, err
	}
	out := createdRole(role)
	return &iamapi.CreateServiceLinkedRoleResponse{Role: &out}, nil
}

// KindDeletionTask is the store object (store.Objects) of a
// service-linked role's deletion task, by the task's UUID.
const KindDeletionTask = "iam.slr-deletion-task"

// MaxDeletionTasks is how many deletion tasks an account keeps: a task
// is read just after its DeleteServiceLinkedRole, and the calls (each
// FAILED while an instance profile holds the role, or one per
// create-delete cycle) would otherwise add a row each without end. The
// oldest go first.
const MaxDeletionTasks = 100

// deletionTask is a KindDeletionTask object's body.
type deletionTask struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// deletionTaskID is AWS's task id format:
// task/aws-service-role/SERVICE/ROLE/UUID.
var deletionTaskID = regexp.MustCompile(`^task/aws-service-role/([^/]+)/([^/]+)/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

// DeleteServiceLinkedRole deletes a service-linked role and returns the
// id of its deletion task. AWS deletes asynchronously once the service
// no longer uses the role; Brevet knows of no such use and deletes at
// once: the task is SUCCEEDED, or FAILED with the reason when the role
// still has what DeleteRole would refuse to leave behind.
func (s *Service) DeleteServiceLinkedRole(ctx context.Context, p *identity.Principal, in *iamapi.DeleteServiceLinkedRoleRequest, now time.Time) (*iamapi.DeleteServiceLinkedRoleResponse, error) {
	role, err := getRole(ctx, s.st, p.Account, in.RoleName)
	if err != nil {
		return nil, err
	}
	if !isServiceLinked(role) {
		return nil, &iam.InvalidInputError{Message: "Role " + role.Name + " is not a service-linked role: delete it with DeleteRole."}
	}
	uuid, err := newUUID(s.rand)
	if err != nil {
		return nil, err
	}
	service := strings.TrimSuffix(strings.TrimPrefix(role.Path, ServiceLinkedRolePath), "/")
	task := deletionTask{ID: "task/aws-service-role/" + service + "/" + role.Name + "/" + uuid, Status: iamapi.DeletionTaskStatusTypeSucceeded}
	err = s.st.Tx(ctx, func(r store.Repos) error {
		deps, err := r.Roles().Dependents(ctx, p.Account, role.Name)
		if err != nil {
			return notFoundAs(err, iam.KindRole, role.Name)
		}
		if cerr := deps.Conflict(); cerr != nil {
			task.Status, task.Reason = iamapi.DeletionTaskStatusTypeFailed, cerr.Error()
		} else if err := r.Roles().Delete(ctx, p.Account, role.Name); err != nil {
			return notFoundAs(err, iam.KindRole, role.Name)
		}
		body, err := json.Marshal(task)
		if err != nil {
			return err
		}
		if err := r.Objects().Create(ctx, store.Object{Account: p.Account, Kind: KindDeletionTask, ID: uuid, Body: body, Created: now, Updated: now}); err != nil {
			return err
		}
		return pruneDeletionTasks(ctx, r, p.Account, uuid)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteServiceLinkedRoleResponse{DeletionTaskId: task.ID}, nil
}

// pruneDeletionTasks deletes the account's oldest deletion tasks beyond
// MaxDeletionTasks, never the one just made (keep).
func pruneDeletionTasks(ctx context.Context, r store.Repos, account, keep string) error {
	tasks, err := r.Objects().List(ctx, account, KindDeletionTask, "", 0)
	if err != nil || len(tasks) <= MaxDeletionTasks {
		return err
	}
	sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].Created.Before(tasks[j].Created) })
	excess := len(tasks) - MaxDeletionTasks
	for _, o := range tasks {
		if excess == 0 {
			break
		}
		if o.ID == keep {
			continue
		}
		if err := r.Objects().Delete(ctx, account, KindDeletionTask, o.ID); err != nil {
			return err
		}
		excess--
	}
	return nil
}

// GetServiceLinkedRoleDeletionStatus reports a deletion task of the
// caller's account.
func (s *Service) GetServiceLinkedRoleDeletionStatus(ctx context.Context, p *identity.Principal, in *iamapi.GetServiceLinkedRoleDeletionStatusRequest, _ time.Time) (*iamapi.GetServiceLinkedRoleDeletionStatusResponse, error) {
	m := deletionTaskID.FindStringSubmatch(in.DeletionTaskId)
	if m == nil {
		return nil, &iam.InvalidInputError{Message: "Invalid deletion task id " + in.DeletionTaskId + "."}
	}
	o, err := s.st.Objects().Get(ctx, p.Account, KindDeletionTask, m[3])
	var task deletionTask
	if err == nil {
		err = json.Unmarshal(o.Body, &task)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && task.ID != in.DeletionTaskId) {
		return nil, deletionTaskNotFoundError{in.DeletionTaskId}
	}
	if err != nil {
		return nil, err
	}
	out := &iamapi.GetServiceLinkedRoleDeletionStatusResponse{Status: task.Status}
	if task.Reason != "" {
		out.Reason = &iamapi.DeletionTaskFailureReasonType{Reason: task.Reason, RoleUsageList: []iamapi.RoleUsageType{}}
	}
	return out, nil
}

// deletionTaskNotFoundError: no deletion task of the account has the id
// (AWS: NoSuchEntity).
type deletionTaskNotFoundError struct{ id string }

func (e deletionTaskNotFoundError) Error() string {
	return "Deletion task " + e.id + " cannot be found."
}

// registerServiceLinkedRoles puts the service-linked role actions on the
// dispatcher, authorized on the role's ARN, as the Service Authorization
// Reference lists: for Create the ARN the role will have (with
// iam:AWSServiceName), for the status the role the task id names.
func registerServiceLinkedRoles(d *awsquery.Dispatcher, s *Service) {
	add(d, iamapi.CreateServiceLinkedRole, request.Writes, func(_ context.Context, p *identity.Principal, in *iamapi.CreateServiceLinkedRoleRequest) (request.Target, error) {
		name := in.AWSServiceName
		if ls, ok := linkedServices[in.AWSServiceName]; ok {
			name = ls.role
		}
		if in.CustomSuffix != "" {
			name += "_" + in.CustomSuffix
		}
		return target(iam.RoleARN(p.Account, ServiceLinkedRolePath+in.AWSServiceName+"/", name), keys{"iam:AWSServiceName": {in.AWSServiceName}})
	}, s.CreateServiceLinkedRole)
	add(d, iamapi.DeleteServiceLinkedRole, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteServiceLinkedRoleRequest) (request.Target, error) {
		return s.onRole(ctx, p, in.RoleName, nil)
	}, s.DeleteServiceLinkedRole)
	add(d, iamapi.GetServiceLinkedRoleDeletionStatus, request.ReadOnly, func(_ context.Context, p *identity.Principal, in *iamapi.GetServiceLinkedRoleDeletionStatusRequest) (request.Target, error) {
		if m := deletionTaskID.FindStringSubmatch(in.DeletionTaskId); m != nil {
			return target(iam.RoleARN(p.Account, ServiceLinkedRolePath+m[1]+"/", m[2]), nil)
		}
		return target("*", nil)
	}, s.GetServiceLinkedRoleDeletionStatus)
}

// newUUID returns a random (version 4) UUID, as in a deletion task's id.
func newUUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}
