package signin

import (
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/server"
	"github.com/brevet-dev/brevet/internal/sso"
)

// The audit trail's names of the pages' events (eventSource
// signin.amazonaws.com).
const (
	auditService         = "signin"
	actionPassword       = "PasswordSignIn"
	actionMFA            = "MFASignIn"
	actionIdP            = "IdentityProviderSignIn"
	actionApproveDevice  = "ApproveDevice"
	actionDenyDevice     = "DenyDevice"
	actionAllowAuthorize = "AllowAuthorization"
	actionDenyAuthorize  = "DenyAuthorization"
)

// Error codes of refused attempts in the audit trail.
const (
	codeFailed    = "AuthenticationFailed" // wrong account, user, password, code; a provider's refusal
	codeThrottled = "Throttling"
	codeReset     = "PasswordResetRequired"
	codeNoDevice  = "InvalidUserCode"
)

// principal is a provider's user in the audit trail, named by
// sso.Identity.ProviderUserARN as the portal names them.
type principal struct{ arn, account string }

// ARN implements request.Principal.
func (p principal) ARN() string { return p.arn }

// AccountID implements audit.AccountPrincipal.
func (p principal) AccountID() string { return p.account }

// principalOf names id for the audit trail: an IAM user as IAM's actions
// see it (userIdentity type IAMUser, its ARN, unique id and name).
func principalOf(id *sso.Identity, arn string) request.Principal {
	switch {
	case id == nil:
		return nil
	case arn != "":
		return userPrincipal(*id, arn) // reset.go
	}
	if _, ok := id.IdP(); ok {
		return principal{arn: id.ProviderUserARN(), account: id.Account} // as the portal names them
	}
	keys := id.PrincipalKeys()
	if len(keys) == 0 {
		return nil
	}
	return principal{arn: keys[0], account: id.Account}
}

// event is one audited step: what was tried, by whom, and how it ended.
type event struct {
	action    string
	principal request.Principal
	params    map[string]any
	response  map[string]any
	errorCode string
	errorMsg  string
	status    int
	start     time.Time
}

// audit records e; an error means the trail could not take it, and the
// step must fail (auditing fails closed).
func (h *Handler) audit(r *http.Request, e event) error {
	if h.cfg.Auditor == nil {
		return nil
	}
	id := server.RequestID(r.Context())
	if id == "" {
		id = request.NewID()
	}
	if e.status == 0 {
		e.status = http.StatusOK
	}
	rec := &request.Record{RequestID: id, Service: auditService, Action: e.action, Version: "2026-01-01", Effect: request.Writes,
		Principal: e.principal, SourceIP: request.SourceIP(r), UserAgent: r.UserAgent(), Host: r.Host, TLS: r.TLS,
		Start: e.start, Duration: h.cfg.Now().Sub(e.start), RequestParameters: e.params, ResponseElements: e.response,
		Status: e.status, ErrorCode: e.errorCode, ErrorMessage: e.errorMsg}
	return h.cfg.Auditor.Audit(r.Context(), rec)
}
