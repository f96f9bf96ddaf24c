// Package portal is the SSO portal API that the AWS CLI v2 and the SDKs
// call after `aws sso login` (issue 17, docs/sso.md): ListAccounts,
// ListAccountRoles, GetRoleCredentials and Logout, on the REST-JSON codec,
// exactly as the botocore `sso` model shapes them.
//
// Requests carry no signature: the x-amz-sso_bearer_token header holds an
// access token of package sso, which Authenticate turns into a *Person,
// the principal the pipeline audits. What a person sees and obtains is
// exactly their assignments (package assign); GetRoleCredentials asks STS
// for a session of the role as the service principal sso.amazonaws.com
// (sts.ServiceSession), with the person's name as session name and their
// identity as source identity, so the role's trust policy decides last.
//
// It mints no token and keeps no state of its own.
package portal
