package console

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// The role wizard's trusted-entity types, as the IAM console offers them.
const (
	trustService  = "service"
	trustAccount  = "account"
	trustWeb      = "webidentity"
	trustSAML     = "saml"
	trustCustom   = "custom"
	samlAudience  = "https://signin.aws.amazon.com/saml"
	policyVersion = "2012-10-17"
)

// trustForm is what the wizard's trusted-entity section holds; its field
// names are the form's.
type trustForm struct {
	Type string
	// Service is the service principal (ec2.amazonaws.com).
	Service string
	// AccountId trusts another account; ExternalId (when
	// RequireExternalId) and RequireMFA add conditions.
	AccountId         string
	RequireExternalId bool
	ExternalId        string
	RequireMFA        bool
	// OIDCProvider is an OIDC provider's ARN, Audience its aud.
	OIDCProvider string
	Audience     string
	// SAMLProvider is a SAML provider's ARN, SAMLAudience its SAML:aud.
	SAMLProvider string
	SAMLAudience string
	// PolicyDocument is the custom trust policy.
	PolicyDocument string
}

// readTrustForm reads the trusted-entity section of r's form.
func readTrustForm(r *http.Request) trustForm {
	f := trustForm{
		Type:              r.PostFormValue("TrustType"),
		Service:           strings.TrimSpace(r.PostFormValue("ServicePrincipal")),
		AccountId:         strings.TrimSpace(r.PostFormValue("AccountId")),
		RequireExternalId: r.PostFormValue("RequireExternalId") == "true",
		ExternalId:        r.PostFormValue("ExternalId"),
		RequireMFA:        r.PostFormValue("RequireMFA") == "true",
		OIDCProvider:      r.PostFormValue("OIDCProvider"),
		Audience:          strings.TrimSpace(r.PostFormValue("Audience")),
		SAMLProvider:      r.PostFormValue("SAMLProvider"),
		SAMLAudience:      strings.TrimSpace(r.PostFormValue("SAMLAudience")),
		PolicyDocument:    r.PostFormValue("PolicyDocument"),
	}
	if other := strings.TrimSpace(r.PostFormValue("ServiceOther")); other != "" {
		f.Service = other
	}
	if f.SAMLAudience == "" {
		f.SAMLAudience = samlAudience
	}
	return f
}

// trustDocument is a trust policy as the wizard writes it; the struct
// fixes the order of its members, encoding/json escapes what it holds.
type trustDocument struct {
	Version   string           `json:"Version"`
	Statement []trustStatement `json:"Statement"`
}

type trustStatement struct {
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal"`
	Action    string                       `json:"Action"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

var (
	accountIDPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	servicePrincipalRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,126}[a-z0-9]$`)
	// externalIDPattern is STS's for AssumeRole's ExternalId (of 2 to
	// 1224 characters): a trust policy asking for another could never be
	// satisfied.
	externalIDPattern = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// badInput is a form's validation error.
func badInput(msg string) *pageError {
	return &pageError{Status: http.StatusBadRequest, Code: "ValidationError", Message: msg}
}

// document builds the trust policy f describes, as indented JSON; a
// custom one is returned as typed (the API validates it).
func (f *trustForm) document() (string, error) {
	st := trustStatement{Effect: "Allow", Action: "sts:AssumeRole"}
	switch f.Type {
	case trustService:
		if !servicePrincipalRE.MatchString(f.Service) {
			return "", badInput("Choose a service, or type a service principal such as ec2.amazonaws.com.")
		}
		st.Principal = map[string]string{"Service": f.Service}
	case trustAccount:
		if !accountIDPattern.MatchString(f.AccountId) {
			return "", badInput("An account ID is 12 digits.")
		}
		st.Principal = map[string]string{"AWS": "arn:aws:iam::" + f.AccountId + ":root"}
		if f.RequireExternalId {
			if f.ExternalId == "" {
				return "", badInput("Type the external ID the other account must pass, or clear Require external ID.")
			}
			if len(f.ExternalId) < 2 || len(f.ExternalId) > 1224 || !externalIDPattern.MatchString(f.ExternalId) {
				return "", badInput("An external ID is 2 to 1224 letters, digits and characters among _+=,.@:/- (as AssumeRole takes it).")
			}
			st.condition("StringEquals", "sts:ExternalId", f.ExternalId)
		}
		if f.RequireMFA {
			st.condition("Bool", "aws:MultiFactorAuthPresent", "true")
		}
	case trustWeb:
		host, ok := oidcProviderHost(f.OIDCProvider)
		if !ok {
			return "", badInput("Choose an OpenID Connect identity provider.")
		}
		if f.Audience == "" {
			return "", badInput("Type the audience (the client ID the provider's tokens are issued to).")
		}
		st.Principal = map[string]string{"Federated": f.OIDCProvider}
		st.Action = "sts:AssumeRoleWithWebIdentity"
		st.condition("StringEquals", host+":aud", f.Audience)
	case trustSAML:
		if !strings.HasPrefix(f.SAMLProvider, "arn:") || !strings.Contains(f.SAMLProvider, ":saml-provider/") {
			return "", badInput("Choose a SAML 2.0 identity provider.")
		}
		st.Principal = map[string]string{"Federated": f.SAMLProvider}
		st.Action = "sts:AssumeRoleWithSAML"
		st.condition("StringEquals", "SAML:aud", f.SAMLAudience)
	case trustCustom:
		if strings.TrimSpace(f.PolicyDocument) == "" {
			return "", badInput("Type the trust policy.")
		}
		return f.PolicyDocument, nil
	default:
		return "", badInput("Choose a trusted entity type.")
	}
	b, err := json.MarshalIndent(trustDocument{Version: policyVersion, Statement: []trustStatement{st}}, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// condition adds the condition op: {key: value} to the statement.
func (st *trustStatement) condition(op, key, value string) {
	if st.Condition == nil {
		st.Condition = map[string]map[string]string{}
	}
	if st.Condition[op] == nil {
		st.Condition[op] = map[string]string{}
	}
	st.Condition[op][key] = value
}

// oidcProviderHost is the condition key prefix of an OIDC provider's
// ARN: its URL without the scheme (arn:aws:iam::ACCT:oidc-provider/HOST/PATH
// gives HOST/PATH).
func oidcProviderHost(arn string) (string, bool) {
	_, host, ok := strings.Cut(arn, ":oidc-provider/")
	return host, ok && strings.HasPrefix(arn, "arn:") && host != ""
}

// servicePrincipals are the services the wizard offers to trust; any
// other can be typed.
var servicePrincipals = []string{
	"ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "eks.amazonaws.com",
	"rolesanywhere.amazonaws.com", "credentials.iot.amazonaws.com", "sso.amazonaws.com",
	"states.amazonaws.com", "events.amazonaws.com", "codebuild.amazonaws.com",
}
