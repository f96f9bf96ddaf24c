package assign

import (
	"context"
	"errors"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// Register puts the assignment actions (brevetapi) on d: signed,
// authorized as brevet:ACTION on the role's ARN in the caller's account
// (ListAccountAssignments without a RoleName on "*"), and audited.
// CreateAccountAssignment and DeleteAccountAssignment write, so the node
// syncs its caches (Apply) before answering: a deleted assignment refuses
// the very next GetRoleCredentials. Add WireError to the dispatcher's
// ErrorMappers.
func Register(d *awsquery.Dispatcher, a *Assignments) {
	awsquery.Register(d, brevetapi.CreateAccountAssignment, awsquery.Handler[brevetapi.CreateAccountAssignmentRequest, brevetapi.AccountAssignmentResponse]{
		Effect: request.Writes,
		Target: func(ctx context.Context, r *awsquery.Request[brevetapi.CreateAccountAssignmentRequest]) (request.Target, error) {
			return a.roleTarget(ctx, r.Principal, r.Input.RoleName)
		},
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.CreateAccountAssignmentRequest]) (*brevetapi.AccountAssignmentResponse, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			in := r.Input
			as, err := a.Create(ctx, p.Account, in.RoleName, Principal{Type: in.PrincipalType, Source: in.PrincipalSource, Name: in.PrincipalName}, p.CallerARN, r.Now)
			if err != nil {
				return nil, err
			}
			return a.response(ctx, &as)
		},
	})
	awsquery.Register(d, brevetapi.DeleteAccountAssignment, awsquery.Handler[brevetapi.DeleteAccountAssignmentRequest, brevetapi.AccountAssignmentResponse]{
		Effect: request.Writes,
		Target: func(ctx context.Context, r *awsquery.Request[brevetapi.DeleteAccountAssignmentRequest]) (request.Target, error) {
			return a.roleTarget(ctx, r.Principal, r.Input.RoleName)
		},
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.DeleteAccountAssignmentRequest]) (*brevetapi.AccountAssignmentResponse, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			in := r.Input
			if (in.PrincipalName == "") == (in.PrincipalId == "") {
				return nil, invalid("Give exactly one of PrincipalName and PrincipalId.")
			}
			as, err := a.Delete(ctx, p.Account, in.RoleName, Principal{Type: in.PrincipalType, Source: in.PrincipalSource, Name: in.PrincipalName, ID: in.PrincipalId})
			if err != nil {
				return nil, err
			}
			return a.response(ctx, &as)
		},
	})
	awsquery.Register(d, brevetapi.ListAccountAssignments, awsquery.Handler[brevetapi.ListAccountAssignmentsRequest, brevetapi.ListAccountAssignmentsResponse]{
		Effect: request.ReadOnly,
		Target: func(ctx context.Context, r *awsquery.Request[brevetapi.ListAccountAssignmentsRequest]) (request.Target, error) {
			if r.Input.RoleName == "" {
				return request.Target{Resource: "*"}, nil
			}
			return a.roleTarget(ctx, r.Principal, r.Input.RoleName)
		},
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.ListAccountAssignmentsRequest]) (*brevetapi.ListAccountAssignmentsResponse, error) {
			p, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			return a.list(ctx, p.Account, r.Input)
		},
	})
}

// list serves ListAccountAssignments.
func (a *Assignments) list(ctx context.Context, account string, in *brevetapi.ListAccountAssignmentsRequest) (*brevetapi.ListAccountAssignmentsResponse, error) {
	f := Filter{RoleName: in.RoleName, After: in.Marker, Max: int(in.MaxItems)}
	if f.Max == 0 {
		f.Max = 100
	}
	switch {
	case in.PrincipalType != "" && in.PrincipalName != "":
		f.Principal = &Principal{Type: in.PrincipalType, Source: in.PrincipalSource, Name: in.PrincipalName}
	case in.PrincipalType != "" || in.PrincipalName != "" || in.PrincipalSource != "":
		return nil, invalid("PrincipalType and PrincipalName go together.")
	}
	page, err := a.List(ctx, account, f)
	if err != nil {
		return nil, err
	}
	roles, err := a.st.Roles().List(ctx, account, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	arns := make(map[string]string, len(roles))
	for _, r := range roles {
		arns[r.Name] = r.ARN()
	}
	out := &brevetapi.ListAccountAssignmentsResponse{IsTruncated: page.Next != "", Marker: page.Next,
		AccountAssignments: make([]brevetapi.AccountAssignment, len(page.Assignments))}
	for i := range page.Assignments {
		out.AccountAssignments[i] = wire(&page.Assignments[i], arns[page.Assignments[i].RoleName])
	}
	return out, nil
}

// response is one assignment's answer, with its role's ARN.
func (a *Assignments) response(ctx context.Context, as *Assignment) (*brevetapi.AccountAssignmentResponse, error) {
	arn, err := a.roleARN(ctx, as.Account, as.RoleName)
	if err != nil {
		return nil, err
	}
	return &brevetapi.AccountAssignmentResponse{AccountAssignment: wire(as, arn)}, nil
}

func wire(as *Assignment, roleARN string) brevetapi.AccountAssignment {
	return brevetapi.AccountAssignment{AccountId: as.Account, RoleName: as.RoleName, RoleArn: roleARN,
		PrincipalType: as.Type, PrincipalSource: as.Source, PrincipalId: as.PrincipalID, PrincipalName: as.PrincipalName,
		CreatedBy: as.CreatedBy, Created: as.Created}
}

// roleTarget is the role's ARN in the caller's account (roleARN): the
// caller is authorized before anything says whether the role exists
// (Create refuses a missing one after), and can remove or list what a
// deleted role left.
func (a *Assignments) roleTarget(ctx context.Context, p request.Principal, name string) (request.Target, error) {
	ip, err := caller(p)
	if err != nil {
		return request.Target{}, err
	}
	arn, err := a.roleARN(ctx, ip.Account, name)
	if err != nil {
		return request.Target{}, err
	}
	return request.Target{Resource: arn}, nil
}

// roleARN is the ARN of the role of account, or for a role that does not
// exist (or no longer does) its ARN without a path.
func (a *Assignments) roleARN(ctx context.Context, account, name string) (string, error) {
	role, err := a.st.Roles().Get(ctx, account, name)
	switch {
	case err == nil:
		return role.ARN(), nil
	case errors.Is(err, store.ErrNotFound):
		return iam.RoleARN(account, "/", name), nil
	}
	return "", err
}

func caller(p request.Principal) (*identity.Principal, error) {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil || ip.Type == identity.Unknown || ip.Account == "" {
		return nil, errors.New("assign: unexpected principal")
	}
	return ip, nil
}
