package iot

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
)

// ServiceConfig is the IoT API's part of the REST-JSON dispatcher: its
// name, version and the codes of the failures every service shares. AWS
// IoT answers an IAM denial with AccessDeniedException (403), as the AWS
// front end does for every REST-JSON service; UnauthorizedException (401)
// is its answer to a request it cannot authenticate.
func ServiceConfig() restjson.ServiceConfig {
	return restjson.ServiceConfig{Name: "iot", Version: "2015-05-28", Errors: restjson.Errors{
		AccessDenied: "AccessDeniedException", Validation: "InvalidRequestException", Throttling: "ThrottlingException",
		Internal: "InternalFailureException", Unavailable: "ServiceUnavailableException",
	}, Mappers: []restjson.ErrorMapper{WireError}}
}

// wireCodes are the AWS IoT codes and statuses of the domain's codes.
var wireCodes = map[Code]struct {
	name   string
	status int
}{
	InvalidRequest:        {"InvalidRequestException", http.StatusBadRequest},
	NotFound:              {"ResourceNotFoundException", http.StatusNotFound},
	AlreadyExists:         {"ResourceAlreadyExistsException", http.StatusConflict},
	CertificateValidation: {"CertificateValidationException", http.StatusBadRequest},
	CertificateState:      {"CertificateStateException", http.StatusNotAcceptable},
	CertificateConflict:   {"CertificateConflictException", http.StatusConflict},
	DeleteConflict:        {"DeleteConflictException", http.StatusConflict},
	VersionConflict:       {"VersionConflictException", http.StatusConflict},
}

// WireError maps the service's *Error to its AWS IoT wire error.
func WireError(err error) *restjson.Error {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return nil
	}
	w, ok := wireCodes[e.Code]
	if !ok {
		return nil
	}
	return &restjson.Error{Code: w.name, Status: w.status, Message: e.Message, Cause: err}
}

// errNoAccount refuses a caller Brevet did not authenticate as an
// account's principal (the pipeline's Authenticator always does).
var errNoAccount = errors.New("iot: the caller has no account")

func account(p request.Principal) (string, error) {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil || ip.Account == "" {
		return "", errNoAccount
	}
	return ip.Account, nil
}

// none is the output of actions that answer an empty object.
type none struct{}

// action is one management action: the resource it is authorized on
// ("*" when "" is returned) and what it does.
type action[In, Out any] struct {
	effect   request.Effect
	resource func(acct string, in *In) string
	serve    func(ctx context.Context, acct string, in *In, now time.Time) (*Out, error)
	audit    bool
	// passRole, when set, is the role the action hands to the service:
	// the caller needs iam:PassRole on it too, as AWS asks.
	passRole func(in *In) string
}

func add[In, Out any](svc *restjson.Service, method, pattern, name string, a action[In, Out]) {
	restjson.Register(svc, method, pattern, name, restjson.Handler[In, Out]{
		Effect: a.effect,
		Target: func(_ context.Context, r *restjson.Request[In]) (request.Target, error) {
			acct, err := account(r.Principal)
			if err != nil {
				return request.Target{}, err
			}
			res := "*"
			if a.resource != nil {
				if v := a.resource(acct, r.Input); v != "" {
					res = v
				}
			}
			return request.Target{Resource: res}, nil
		},
		Serve: func(ctx context.Context, r *restjson.Request[In]) (*Out, error) {
			acct, err := account(r.Principal)
			if err != nil {
				return nil, err
			}
			return a.serve(ctx, acct, r.Input, r.Start)
		},
		Targets:       passRoleTargets(a.passRole),
		AuditResponse: a.audit,
	})
}

// passRoleTargets authorizes iam:PassRole on the role passRole names, if
// any.
func passRoleTargets[In any](passRole func(in *In) string) func(context.Context, *restjson.Request[In]) ([]request.Target, error) {
	if passRole == nil {
		return nil
	}
	return func(_ context.Context, r *restjson.Request[In]) ([]request.Target, error) {
		role := passRole(r.Input)
		if role == "" {
			return nil, nil
		}
		return []request.Target{{Action: "iam:PassRole", Resource: role}}, nil
	}
}

// noOutput adapts an action that answers nothing.
func noOutput[In any](f func(ctx context.Context, acct string, in *In, now time.Time) error) func(context.Context, string, *In, time.Time) (*none, error) {
	return func(ctx context.Context, acct string, in *In, now time.Time) (*none, error) {
		return &none{}, f(ctx, acct, in, now)
	}
}

// timeless adapts an action that does not need the request's time.
func timeless[In, Out any](f func(ctx context.Context, acct string, in *In) (*Out, error)) func(context.Context, string, *In, time.Time) (*Out, error) {
	return func(ctx context.Context, acct string, in *In, _ time.Time) (*Out, error) { return f(ctx, acct, in) }
}

// timelessNone adapts an action that answers nothing and does not need
// the request's time.
func timelessNone[In any](f func(ctx context.Context, acct string, in *In) error) func(context.Context, string, *In, time.Time) (*none, error) {
	return func(ctx context.Context, acct string, in *In, _ time.Time) (*none, error) {
		return &none{}, f(ctx, acct, in)
	}
}

// Register puts the IoT actions Brevet supports on svc (made with
// ServiceConfig), each authorized as iot:ACTION on its resource's ARN;
// CreateRoleAlias and UpdateRoleAlias also need iam:PassRole on the
// role, as AWS asks.
func Register(svc *restjson.Service, s *Service) {
	s.registerCertificates(svc)
	s.registerThings(svc)
	s.registerRoleAliases(svc)
}

func (s *Service) registerCertificates(svc *restjson.Service) {
	caARN := func(acct string, in *CACertificateIDInput) string { return s.CACertificateARN(acct, in.CertificateID) }
	certARN := func(acct string, in *CertificateIDInput) string { return s.CertificateARN(acct, in.CertificateID) }
	add(svc, "POST", "/cacertificate", "RegisterCACertificate", action[RegisterCACertificateInput, RegisterCertificateOutput]{
		effect: request.Writes, serve: s.RegisterCACertificate, audit: true})
	add(svc, "GET", "/cacertificate/{caCertificateId}", "DescribeCACertificate", action[CACertificateIDInput, DescribeCACertificateOutput]{
		effect: request.ReadOnly, resource: caARN,
		serve: timeless(s.DescribeCACertificate)})
	add(svc, "GET", "/cacertificates", "ListCACertificates", action[ListInput, ListCertificatesOutput]{
		effect: request.ReadOnly,
		serve:  timeless(s.ListCACertificates)})
	add(svc, "PUT", "/cacertificate/{caCertificateId}", "UpdateCACertificate", action[UpdateCACertificateInput, none]{
		effect: request.Writes,
		resource: func(acct string, in *UpdateCACertificateInput) string {
			return s.CACertificateARN(acct, in.CertificateID)
		},
		serve: noOutput(s.UpdateCACertificate)})
	add(svc, "DELETE", "/cacertificate/{caCertificateId}", "DeleteCACertificate", action[CACertificateIDInput, none]{
		effect: request.Writes, resource: caARN,
		serve: timelessNone(s.DeleteCACertificate)})
	add(svc, "POST", "/certificate/register", "RegisterCertificate", action[RegisterCertificateInput, RegisterCertificateOutput]{
		effect: request.Writes, serve: s.RegisterCertificate, audit: true})
	add(svc, "POST", "/certificate/register-no-ca", "RegisterCertificateWithoutCA", action[RegisterCertificateInput, RegisterCertificateOutput]{
		effect: request.Writes, serve: s.RegisterCertificateWithoutCA, audit: true})
	add(svc, "GET", "/certificates/{certificateId}", "DescribeCertificate", action[CertificateIDInput, DescribeCertificateOutput]{
		effect: request.ReadOnly, resource: certARN,
		serve: timeless(s.DescribeCertificate)})
	add(svc, "GET", "/certificates", "ListCertificates", action[ListInput, ListCertificatesOutput]{
		effect: request.ReadOnly,
		serve:  timeless(s.ListCertificates)})
	add(svc, "GET", "/certificates-by-ca/{caCertificateId}", "ListCertificatesByCA", action[ListCertificatesByCAInput, ListCertificatesOutput]{
		effect: request.ReadOnly,
		serve:  timeless(s.ListCertificatesByCA)})
	add(svc, "PUT", "/certificates/{certificateId}", "UpdateCertificate", action[UpdateCertificateInput, none]{
		effect:   request.Writes,
		resource: func(acct string, in *UpdateCertificateInput) string { return s.CertificateARN(acct, in.CertificateID) },
		serve:    noOutput(s.UpdateCertificate)})
	add(svc, "DELETE", "/certificates/{certificateId}", "DeleteCertificate", action[DeleteCertificateInput, none]{
		effect:   request.Writes,
		resource: func(acct string, in *DeleteCertificateInput) string { return s.CertificateARN(acct, in.CertificateID) },
		serve:    timelessNone(s.DeleteCertificate)})
}

func (s *Service) registerThings(svc *restjson.Service) {
	thingARN := func(acct string, in *ThingNameInput) string { return s.ThingARN(acct, in.ThingName) }
	add(svc, "POST", "/things/{thingName}", "CreateThing", action[CreateThingInput, CreateThingOutput]{
		effect:   request.Writes,
		resource: func(acct string, in *CreateThingInput) string { return s.ThingARN(acct, in.ThingName) },
		serve:    s.CreateThing, audit: true})
	add(svc, "GET", "/things/{thingName}", "DescribeThing", action[ThingNameInput, DescribeThingOutput]{
		effect: request.ReadOnly, resource: thingARN,
		serve: timeless(s.DescribeThing)})
	add(svc, "GET", "/things", "ListThings", action[ListThingsInput, ListThingsOutput]{
		effect: request.ReadOnly,
		serve:  timeless(s.ListThings)})
	add(svc, "PATCH", "/things/{thingName}", "UpdateThing", action[UpdateThingInput, none]{
		effect:   request.Writes,
		resource: func(acct string, in *UpdateThingInput) string { return s.ThingARN(acct, in.ThingName) },
		serve:    noOutput(s.UpdateThing)})
	add(svc, "DELETE", "/things/{thingName}", "DeleteThing", action[DeleteThingInput, none]{
		effect:   request.Writes,
		resource: func(acct string, in *DeleteThingInput) string { return s.ThingARN(acct, in.ThingName) },
		serve:    timelessNone(s.DeleteThing)})
	principalThing := func(acct string, in *ThingPrincipalInput) string { return s.ThingARN(acct, in.ThingName) }
	add(svc, "PUT", "/things/{thingName}/principals", "AttachThingPrincipal", action[ThingPrincipalInput, none]{
		effect: request.Writes, resource: principalThing, serve: noOutput(s.AttachThingPrincipal)})
	add(svc, "DELETE", "/things/{thingName}/principals", "DetachThingPrincipal", action[ThingPrincipalInput, none]{
		effect: request.Writes, resource: principalThing, serve: noOutput(s.DetachThingPrincipal)})
	add(svc, "GET", "/things/{thingName}/principals", "ListThingPrincipals", action[ListThingPrincipalsInput, ListThingPrincipalsOutput]{
		effect:   request.ReadOnly,
		resource: func(acct string, in *ListThingPrincipalsInput) string { return s.ThingARN(acct, in.ThingName) },
		serve:    timeless(s.ListThingPrincipals)})
	add(svc, "GET", "/principals/things", "ListPrincipalThings", action[ListPrincipalThingsInput, ListPrincipalThingsOutput]{
		effect: request.ReadOnly,
		serve:  timeless(s.ListPrincipalThings)})
	add(svc, "POST", "/thing-types/{thingTypeName}", "CreateThingType", action[CreateThingTypeInput, CreateThingTypeOutput]{
		effect:   request.Writes,
		resource: func(acct string, in *CreateThingTypeInput) string { return s.ThingTypeARN(acct, in.ThingTypeName) },
		serve:    s.CreateThingType, audit: true})
	add(svc, "GET", "/thing-types/{thingTypeName}", "DescribeThingType", action[ThingTypeNameInput, DescribeThingTypeOutput]{
		effect:   request.ReadOnly,
		resource: func(acct string, in *ThingTypeNameInput) string { return s.ThingTypeARN(acct, in.ThingTypeName) },
		serve:    timeless(s.DescribeThingType)})
}

func (s *Service) registerRoleAliases(svc *restjson.Service) {
	aliasARN := func(acct string, in *RoleAliasInput) string { return s.RoleAliasARN(acct, in.RoleAlias) }
	add(svc, "POST", "/role-aliases/{roleAlias}", "CreateRoleAlias", action[CreateRoleAliasInput, RoleAliasOutput]{
		effect:   request.Writes,
		resource: func(acct string, in *CreateRoleAliasInput) string { return s.RoleAliasARN(acct, in.RoleAlias) },
		serve:    s.CreateRoleAlias, audit: true,
		passRole: func(in *CreateRoleAliasInput) string { return in.RoleArn }})
	add(svc, "GET", "/role-aliases/{roleAlias}", "DescribeRoleAlias", action[RoleAliasInput, DescribeRoleAliasOutput]{
		effect: request.ReadOnly, resource: aliasARN,
		serve: timeless(s.DescribeRoleAlias)})
	add(svc, "GET", "/role-aliases", "ListRoleAliases", action[ListInput, ListRoleAliasesOutput]{
		effect: request.ReadOnly,
		serve:  timeless(s.ListRoleAliases)})
	add(svc, "PUT", "/role-aliases/{roleAlias}", "UpdateRoleAlias", action[UpdateRoleAliasInput, RoleAliasOutput]{
		effect:   request.Writes,
		resource: func(acct string, in *UpdateRoleAliasInput) string { return s.RoleAliasARN(acct, in.RoleAlias) },
		serve:    s.UpdateRoleAlias, audit: true,
		passRole: func(in *UpdateRoleAliasInput) string { return in.RoleArn }})
	add(svc, "DELETE", "/role-aliases/{roleAlias}", "DeleteRoleAlias", action[RoleAliasInput, none]{
		effect: request.Writes, resource: aliasARN,
		serve: timelessNone(s.DeleteRoleAlias)})
	add(svc, "GET", "/endpoint", "DescribeEndpoint", action[DescribeEndpointInput, DescribeEndpointOutput]{
		effect: request.ReadOnly,
		serve: func(ctx context.Context, _ string, in *DescribeEndpointInput, _ time.Time) (*DescribeEndpointOutput, error) {
			return s.DescribeEndpoint(ctx, in)
		}})
}
