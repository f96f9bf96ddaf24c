package rolesanywhere

import (
	"context"
	"errors"
	"net/http"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
)

// ServiceConfig is the restjson service IAM Roles Anywhere's actions are
// registered on: its signing name, API version and error codes.
func ServiceConfig() restjson.ServiceConfig {
	return restjson.ServiceConfig{
		Name: "rolesanywhere", Version: "2018-05-10",
		Errors: restjson.Errors{
			AccessDenied: "AccessDeniedException", Validation: "ValidationException", Throttling: "ThrottlingException",
			Internal: "InternalServerException", Unavailable: "ServiceUnavailableException",
		},
		Mappers: []restjson.ErrorMapper{WireError},
	}
}

// WireError maps this package's typed errors to Roles Anywhere's wire
// errors; nil for others.
func WireError(err error) *restjson.Error {
	if e, ok := errors.AsType[*ValidationError](err); ok {
		return &restjson.Error{Code: "ValidationException", Status: http.StatusBadRequest, Message: e.Message, Cause: err}
	}
	if e, ok := errors.AsType[*NotFoundError](err); ok {
		return &restjson.Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: e.Message(), Cause: err}
	}
	if _, ok := errors.AsType[*TooManyTagsError](err); ok {
		return &restjson.Error{Code: "TooManyTagsException", Status: http.StatusBadRequest, Message: "Too many tags", Cause: err}
	}
	if e, ok := errors.AsType[*DeniedError](err); ok {
		return &restjson.Error{Code: "AccessDeniedException", Status: http.StatusForbidden, Message: e.Message, Cause: err}
	}
	return nil
}

// caller is the signed caller of a control-plane action.
func caller(p request.Principal) (*identity.Principal, error) {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil || ip.Account == "" {
		return nil, &DeniedError{Message: "Access denied", Reason: "the control plane needs a signed IAM caller"}
	}
	return ip, nil
}

// star is the target of an action without a resource, with the tags it
// puts on what it creates.
func star(tags []Tag) request.Target {
	return request.Target{Resource: "*", Context: TagRequestContext(tags)}
}

// resourceTarget is the target of an action on the object of kind and id
// in the caller's account, with its tags as aws:ResourceTag/KEY.
func (s *Service) resourceTarget(ctx context.Context, p request.Principal, kind, id string, extra map[string][]string) (request.Target, error) {
	ip, err := caller(p)
	if err != nil {
		return request.Target{}, err
	}
	if err := checkID(id); err != nil {
		return request.Target{}, err
	}
	return s.taggedTarget(ctx, ip.Account, s.ARN(ip.Account, kind, id), extra)
}

// taggedTarget is the target arn, with the resource's tags as
// aws:ResourceTag/KEY beside extra's keys.
func (s *Service) taggedTarget(ctx context.Context, account, arn string, extra map[string][]string) (request.Target, error) {
	c, err := s.withResourceTags(ctx, account, arn, extra)
	if err != nil {
		return request.Target{}, err
	}
	return request.Target{Resource: arn, Context: c}, nil
}

func (s *Service) withResourceTags(ctx context.Context, account, arn string, extra map[string][]string) (map[string][]string, error) {
	tags, err := s.ResourceTags(ctx, account, arn)
	if err != nil {
		return extra, err
	}
	return request.WithResourceTags(extra, tagPairs(tags)), nil
}

// reg is the common shape of a control-plane action: authorize on
// target, serve with the caller's account.
func reg[In, Out any](svc *restjson.Service, method, pattern, name string, effect request.Effect,
	target func(context.Context, *restjson.Request[In]) (request.Target, error),
	serve func(context.Context, *restjson.Request[In], string) (*Out, error), status int) {
	regMore(svc, method, pattern, name, effect, target, nil, serve, status)
}

// regMore is reg with further authorizations (more), every one of which
// must be allowed too: iam:PassRole on the roles a profile is given,
// rolesanywhere:TagResource on what a create tags.
func regMore[In, Out any](svc *restjson.Service, method, pattern, name string, effect request.Effect,
	target func(context.Context, *restjson.Request[In]) (request.Target, error),
	more func(context.Context, *restjson.Request[In]) ([]request.Target, error),
	serve func(context.Context, *restjson.Request[In], string) (*Out, error), status int) {
	restjson.Register(svc, method, pattern, name, restjson.Handler[In, Out]{
		Effect: effect, Status: status, Target: target, Targets: more, AuditResponse: true,
		Serve: func(ctx context.Context, r *restjson.Request[In]) (*Out, error) {
			ip, err := caller(r.Principal)
			if err != nil {
				return nil, err
			}
			return serve(ctx, r, ip.Account)
		},
	})
}

func starTarget[In any](tags func(*In) []Tag) func(context.Context, *restjson.Request[In]) (request.Target, error) {
	return func(_ context.Context, r *restjson.Request[In]) (request.Target, error) {
		if _, err := caller(r.Principal); err != nil {
			return request.Target{}, err
		}
		var t []Tag
		if tags != nil {
			t = tags(r.Input)
		}
		return star(t), nil
	}
}

// passRoles are the iam:PassRole authorizations that giving a profile
// roles needs, one per distinct role, with iam:PassedToService
// rolesanywhere.amazonaws.com as AWS sets it: a profile hands its roles
// to every certificate its trust anchors accept, so
// rolesanywhere:CreateProfile (or UpdateProfile) and CreateTrustAnchor
// alone, with a CA the caller controls, must not obtain a role the
// caller could not pass. The list is checked first, so its length is
// bounded before anything is authorized.
func passRoles(arns []string) ([]request.Target, error) {
	if err := checkRoleArns(arns); err != nil {
		return nil, err
	}
	ts := make([]request.Target, 0, len(arns))
	seen := make(map[string]bool, len(arns))
	for _, a := range arns {
		if seen[a] {
			continue
		}
		seen[a] = true
		ts = append(ts, request.Target{Action: "iam:PassRole", Resource: a,
			Context: map[string][]string{"iam:PassedToService": {servicePrincipal}}})
	}
	return ts, nil
}

// tagOnCreate is the rolesanywhere:TagResource authorization a create
// that carries tags also needs, as AWS asks, with the tags as
// aws:RequestTag/KEY and aws:TagKeys; none without tags. The new
// object's id is drawn when it is stored, after authorization, so the
// resource is the ARN of every object of kind in the caller's account
// (".../profile/*"): a policy allows it with Resource "*" or a pattern
// that covers it, never with one object's ARN.
func (s *Service) tagOnCreate(p request.Principal, kind string, tags []Tag) ([]request.Target, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	ip, err := caller(p)
	if err != nil {
		return nil, err
	}
	return []request.Target{{Action: "rolesanywhere:TagResource", Resource: s.ARN(ip.Account, kind, "*"),
		Context: TagRequestContext(tags)}}, nil
}

// Register puts every IAM Roles Anywhere action on d: the control plane,
// authorized as rolesanywhere:ACTION on the resource's ARN ("*" for
// creates and lists) and audited with its response, and CreateSession
// (session.go). CreateProfile and UpdateProfile also need iam:PassRole
// on the roles they set, and a create with tags rolesanywhere:TagResource,
// as AWS asks.
func Register(d *restjson.Dispatcher, s *Service) {
	svc := d.Service(ServiceConfig())
	registerAnchors(svc, s)
	registerProfiles(svc, s)
	registerCRLs(svc, s)
	registerTags(svc, s)
	registerSession(svc, s)
}

func registerAnchors(svc *restjson.Service, s *Service) {
	anchorTarget := func(ctx context.Context, r *restjson.Request[TrustAnchorIDInput]) (request.Target, error) {
		return s.resourceTarget(ctx, r.Principal, KindTrustAnchor, r.Input.TrustAnchorID, nil)
	}
	regMore(svc, "POST", "/trustanchors", "CreateTrustAnchor", request.Writes,
		starTarget(func(in *CreateTrustAnchorInput) []Tag { return in.Tags }),
		func(_ context.Context, r *restjson.Request[CreateTrustAnchorInput]) ([]request.Target, error) {
			return s.tagOnCreate(r.Principal, KindTrustAnchor, r.Input.Tags)
		},
		func(ctx context.Context, r *restjson.Request[CreateTrustAnchorInput], acct string) (*TrustAnchorDetailResponse, error) {
			return s.CreateTrustAnchor(ctx, acct, r.Input, r.Start)
		}, http.StatusCreated)
	reg(svc, "GET", "/trustanchor/{trustAnchorId}", "GetTrustAnchor", request.ReadOnly, anchorTarget,
		func(ctx context.Context, r *restjson.Request[TrustAnchorIDInput], acct string) (*TrustAnchorDetailResponse, error) {
			return s.GetTrustAnchor(ctx, acct, r.Input)
		}, 0)
	reg(svc, "GET", "/trustanchors", "ListTrustAnchors", request.ReadOnly, starTarget[ListInput](nil),
		func(ctx context.Context, r *restjson.Request[ListInput], acct string) (*ListTrustAnchorsOutput, error) {
			return s.ListTrustAnchors(ctx, acct, r.Input)
		}, 0)
	reg(svc, "PATCH", "/trustanchor/{trustAnchorId}", "UpdateTrustAnchor", request.Writes,
		func(ctx context.Context, r *restjson.Request[UpdateTrustAnchorInput]) (request.Target, error) {
			return s.resourceTarget(ctx, r.Principal, KindTrustAnchor, r.Input.TrustAnchorID, nil)
		},
		func(ctx context.Context, r *restjson.Request[UpdateTrustAnchorInput], acct string) (*TrustAnchorDetailResponse, error) {
			return s.UpdateTrustAnchor(ctx, acct, r.Input, r.Start)
		}, 0)
	for _, e := range []struct {
		name, verb string
		on         bool
	}{{"EnableTrustAnchor", "enable", true}, {"DisableTrustAnchor", "disable", false}} {
		reg(svc, "POST", "/trustanchor/{trustAnchorId}/"+e.verb, e.name, request.Writes, anchorTarget,
			func(ctx context.Context, r *restjson.Request[TrustAnchorIDInput], acct string) (*TrustAnchorDetailResponse, error) {
				return s.SetTrustAnchorEnabled(ctx, acct, r.Input, e.on, r.Start)
			}, 0)
	}
	reg(svc, "DELETE", "/trustanchor/{trustAnchorId}", "DeleteTrustAnchor", request.Writes, anchorTarget,
		func(ctx context.Context, r *restjson.Request[TrustAnchorIDInput], acct string) (*TrustAnchorDetailResponse, error) {
			return s.DeleteTrustAnchor(ctx, acct, r.Input)
		}, 0)
	reg(svc, "PATCH", "/put-notifications-settings", "PutNotificationSettings", request.Writes,
		func(ctx context.Context, r *restjson.Request[PutNotificationSettingsInput]) (request.Target, error) {
			return s.resourceTarget(ctx, r.Principal, KindTrustAnchor, r.Input.TrustAnchorID, nil)
		},
		func(ctx context.Context, r *restjson.Request[PutNotificationSettingsInput], acct string) (*TrustAnchorDetailResponse, error) {
			return s.PutNotificationSettings(ctx, acct, r.Input, r.Start)
		}, 0)
	reg(svc, "PATCH", "/reset-notifications-settings", "ResetNotificationSettings", request.Writes,
		func(ctx context.Context, r *restjson.Request[ResetNotificationSettingsInput]) (request.Target, error) {
			return s.resourceTarget(ctx, r.Principal, KindTrustAnchor, r.Input.TrustAnchorID, nil)
		},
		func(ctx context.Context, r *restjson.Request[ResetNotificationSettingsInput], acct string) (*TrustAnchorDetailResponse, error) {
			return s.ResetNotificationSettings(ctx, acct, r.Input, r.Start)
		}, 0)
}

func registerProfiles(svc *restjson.Service, s *Service) {
	profileTarget := func(ctx context.Context, r *restjson.Request[ProfileIDInput]) (request.Target, error) {
		return s.resourceTarget(ctx, r.Principal, KindProfile, r.Input.ProfileID, nil)
	}
	regMore(svc, "POST", "/profiles", "CreateProfile", request.Writes,
		starTarget(func(in *CreateProfileInput) []Tag { return in.Tags }),
		func(_ context.Context, r *restjson.Request[CreateProfileInput]) ([]request.Target, error) {
			ts, err := passRoles(r.Input.RoleArns)
			if err != nil {
				return nil, err
			}
			tag, err := s.tagOnCreate(r.Principal, KindProfile, r.Input.Tags)
			return append(ts, tag...), err
		},
		func(ctx context.Context, r *restjson.Request[CreateProfileInput], acct string) (*ProfileDetailResponse, error) {
			return s.CreateProfile(ctx, acct, r.Principal.ARN(), r.Input, r.Start)
		}, http.StatusCreated)
	reg(svc, "GET", "/profile/{profileId}", "GetProfile", request.ReadOnly, profileTarget,
		func(ctx context.Context, r *restjson.Request[ProfileIDInput], acct string) (*ProfileDetailResponse, error) {
			return s.GetProfile(ctx, acct, r.Input)
		}, 0)
	reg(svc, "GET", "/profiles", "ListProfiles", request.ReadOnly, starTarget[ListInput](nil),
		func(ctx context.Context, r *restjson.Request[ListInput], acct string) (*ListProfilesOutput, error) {
			return s.ListProfiles(ctx, acct, r.Input)
		}, 0)
	regMore(svc, "PATCH", "/profile/{profileId}", "UpdateProfile", request.Writes,
		func(ctx context.Context, r *restjson.Request[UpdateProfileInput]) (request.Target, error) {
			return s.resourceTarget(ctx, r.Principal, KindProfile, r.Input.ProfileID, nil)
		},
		// Only the roles the update sets (all of them, those the
		// profile had too): none when roleArns is absent.
		func(_ context.Context, r *restjson.Request[UpdateProfileInput]) ([]request.Target, error) {
			return passRoles(r.Input.RoleArns)
		},
		func(ctx context.Context, r *restjson.Request[UpdateProfileInput], acct string) (*ProfileDetailResponse, error) {
			return s.UpdateProfile(ctx, acct, r.Input, r.Start)
		}, 0)
	for _, e := range []struct {
		name, verb string
		on         bool
	}{{"EnableProfile", "enable", true}, {"DisableProfile", "disable", false}} {
		reg(svc, "POST", "/profile/{profileId}/"+e.verb, e.name, request.Writes, profileTarget,
			func(ctx context.Context, r *restjson.Request[ProfileIDInput], acct string) (*ProfileDetailResponse, error) {
				return s.SetProfileEnabled(ctx, acct, r.Input, e.on, r.Start)
			}, 0)
	}
	reg(svc, "DELETE", "/profile/{profileId}", "DeleteProfile", request.Writes, profileTarget,
		func(ctx context.Context, r *restjson.Request[ProfileIDInput], acct string) (*ProfileDetailResponse, error) {
			return s.DeleteProfile(ctx, acct, r.Input)
		}, 0)
	reg(svc, "PUT", "/profiles/{profileId}/mappings", "PutAttributeMapping", request.Writes,
		func(ctx context.Context, r *restjson.Request[PutAttributeMappingInput]) (request.Target, error) {
			return s.resourceTarget(ctx, r.Principal, KindProfile, r.Input.ProfileID, nil)
		},
		func(ctx context.Context, r *restjson.Request[PutAttributeMappingInput], acct string) (*ProfileDetailResponse, error) {
			return s.PutAttributeMapping(ctx, acct, r.Input, r.Start)
		}, 0)
	reg(svc, "DELETE", "/profiles/{profileId}/mappings", "DeleteAttributeMapping", request.Writes,
		func(ctx context.Context, r *restjson.Request[DeleteAttributeMappingInput]) (request.Target, error) {
			return s.resourceTarget(ctx, r.Principal, KindProfile, r.Input.ProfileID, nil)
		},
		func(ctx context.Context, r *restjson.Request[DeleteAttributeMappingInput], acct string) (*ProfileDetailResponse, error) {
			r.Input.Specifiers = r.HTTP.URL.Query()["specifiers"]
			return s.DeleteAttributeMapping(ctx, acct, r.Input, r.Start)
		}, 0)
}

func registerCRLs(svc *restjson.Service, s *Service) {
	crlTarget := func(ctx context.Context, r *restjson.Request[CrlIDInput]) (request.Target, error) {
		return s.resourceTarget(ctx, r.Principal, KindCRL, r.Input.CrlID, nil)
	}
	regMore(svc, "POST", "/crls", "ImportCrl", request.Writes,
		starTarget(func(in *ImportCrlInput) []Tag { return in.Tags }),
		func(_ context.Context, r *restjson.Request[ImportCrlInput]) ([]request.Target, error) {
			return s.tagOnCreate(r.Principal, KindCRL, r.Input.Tags)
		},
		func(ctx context.Context, r *restjson.Request[ImportCrlInput], acct string) (*CrlDetailResponse, error) {
			return s.ImportCrl(ctx, acct, r.Input, r.Start)
		}, http.StatusCreated)
	reg(svc, "GET", "/crl/{crlId}", "GetCrl", request.ReadOnly, crlTarget,
		func(ctx context.Context, r *restjson.Request[CrlIDInput], acct string) (*CrlDetailResponse, error) {
			return s.GetCrl(ctx, acct, r.Input)
		}, 0)
	reg(svc, "GET", "/crls", "ListCrls", request.ReadOnly, starTarget[ListInput](nil),
		func(ctx context.Context, r *restjson.Request[ListInput], acct string) (*ListCrlsOutput, error) {
			return s.ListCrls(ctx, acct, r.Input)
		}, 0)
	reg(svc, "PATCH", "/crl/{crlId}", "UpdateCrl", request.Writes,
		func(ctx context.Context, r *restjson.Request[UpdateCrlInput]) (request.Target, error) {
			return s.resourceTarget(ctx, r.Principal, KindCRL, r.Input.CrlID, nil)
		},
		func(ctx context.Context, r *restjson.Request[UpdateCrlInput], acct string) (*CrlDetailResponse, error) {
			return s.UpdateCrl(ctx, acct, r.Input, r.Start)
		}, 0)
	for _, e := range []struct {
		name, verb string
		on         bool
	}{{"EnableCrl", "enable", true}, {"DisableCrl", "disable", false}} {
		reg(svc, "POST", "/crl/{crlId}/"+e.verb, e.name, request.Writes, crlTarget,
			func(ctx context.Context, r *restjson.Request[CrlIDInput], acct string) (*CrlDetailResponse, error) {
				return s.SetCrlEnabled(ctx, acct, r.Input, e.on, r.Start)
			}, 0)
	}
	reg(svc, "DELETE", "/crl/{crlId}", "DeleteCrl", request.Writes, crlTarget,
		func(ctx context.Context, r *restjson.Request[CrlIDInput], acct string) (*CrlDetailResponse, error) {
			return s.DeleteCrl(ctx, acct, r.Input)
		}, 0)
}

// arnTarget is the target of the tagging actions: the ARN they name, in
// the caller's account (another account's ARN is authorized as it is and
// then not found).
func (s *Service) arnTarget(ctx context.Context, p request.Principal, arn *string, extra map[string][]string) (request.Target, error) {
	ip, err := caller(p)
	if err != nil {
		return request.Target{}, err
	}
	if arn == nil || *arn == "" {
		return request.Target{}, invalid("resourceArn is required")
	}
	if _, ok := parseARN(*arn); !ok {
		return request.Target{}, invalid("Invalid resource ARN: %s", truncate(*arn, 200))
	}
	return s.taggedTarget(ctx, ip.Account, *arn, extra)
}

func registerTags(svc *restjson.Service, s *Service) {
	reg(svc, "POST", "/TagResource", "TagResource", request.Writes,
		func(ctx context.Context, r *restjson.Request[TagResourceInput]) (request.Target, error) {
			return s.arnTarget(ctx, r.Principal, r.Input.ResourceArn, TagRequestContext(r.Input.Tags))
		},
		func(ctx context.Context, r *restjson.Request[TagResourceInput], acct string) (*Empty, error) {
			return s.TagResource(ctx, acct, r.Input, r.Start)
		}, http.StatusCreated)
	reg(svc, "POST", "/UntagResource", "UntagResource", request.Writes,
		func(ctx context.Context, r *restjson.Request[UntagResourceInput]) (request.Target, error) {
			var extra map[string][]string
			if len(r.Input.TagKeys) > 0 {
				extra = map[string][]string{"aws:TagKeys": r.Input.TagKeys}
			}
			return s.arnTarget(ctx, r.Principal, r.Input.ResourceArn, extra)
		},
		func(ctx context.Context, r *restjson.Request[UntagResourceInput], acct string) (*Empty, error) {
			return s.UntagResource(ctx, acct, r.Input, r.Start)
		}, 0)
	reg(svc, "GET", "/ListTagsForResource", "ListTagsForResource", request.ReadOnly,
		func(ctx context.Context, r *restjson.Request[ListTagsForResourceInput]) (request.Target, error) {
			return s.arnTarget(ctx, r.Principal, &r.Input.ResourceArn, nil)
		},
		func(ctx context.Context, r *restjson.Request[ListTagsForResourceInput], acct string) (*ListTagsForResourceOutput, error) {
			return s.ListTagsForResource(ctx, acct, r.Input)
		}, 0)
}

// registerSession adds CreateSession. It is registered unsigned because
// it is signed with a certificate's key, not an access key: the node's
// authenticator sends it to Authenticate, whose principal is a
// *CertificatePrincipal. The credentials are never audited.
func registerSession(svc *restjson.Service, s *Service) {
	restjson.Register(svc, "POST", "/sessions", "CreateSession", restjson.Handler[CreateSessionInput, CreateSessionOutput]{
		Effect: request.IssuesCredentials, Unsigned: true, Status: http.StatusCreated,
		SkipAuthorization: "signed with a certificate's key (SigV4-X509), verified with its chain to the trust anchor by Authenticate; " +
			"the profile and the role's trust policy (for the service principal rolesanywhere.amazonaws.com) decide inside the action, as on AWS",
		Serve: func(ctx context.Context, r *restjson.Request[CreateSessionInput]) (*CreateSessionOutput, error) {
			p, ok := r.Principal.(*CertificatePrincipal)
			if !ok || p == nil {
				return nil, denied(msgNotAuth, "CreateSession without a verified certificate", nil)
			}
			out, ss, err := s.CreateSession(ctx, p, r.Input, authz.Facts{
				Now: r.Start, SourceIP: r.SourceIP, UserAgent: r.HTTP.UserAgent(), SecureTransport: r.HTTP.TLS != nil,
			})
			if err != nil {
				return nil, err
			}
			r.Issue(ss.Issuance("CreateSession", r.SourceIP))
			return out, nil
		},
	})
}
